"""``nntune.tune``: nntune tune from Python, returning the summary."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


def test_tune_from_a_dict_with_set_writes_the_report_and_the_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    summary = nntune.tune({"study": "iris", "storage": f"sqlite:///{tmp_path / 'i.db'}", "task": {"data": "iris"}},
                          set={"search.trials": 3, "fixed.epochs": 3, "search.seed": 1},
                          on_trial=lambda study, trial: seen.append(trial.number))
    assert sorted(seen) == [0, 1, 2] and summary.counts["complete"] == 3
    assert summary.report_path.resolve() == (tmp_path / "reports" / "iris.html").resolve()
    assert summary.report_path.is_file() and summary.model_path.is_file()
    model = nntune.load_model(summary.model_path)
    assert model.meta["trial"] == summary.best.number and model.classes == ["setosa", "versicolor", "virginica"]
    assert summary.to_json()["test"]["accuracy"] == pytest.approx(model.meta["test"]["accuracy"])
    again = nntune.tune({"study": "iris", "storage": f"sqlite:///{tmp_path / 'i.db'}", "task": {"data": "iris"}},
                        set={"search.trials": 3, "fixed.epochs": 3, "search.seed": 1}, report=False,
                        model_file=tmp_path / "other.pt")
    # Nothing left to run and the same best: its recorded look, no new model, no report.
    assert again.test.recorded and again.model_path is None and again.report_path is None
    assert not (tmp_path / "other.pt").exists()


def test_bad_input_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="^fixed.epochz: unknown hyperparameter$"):
        nntune.tune(set={"fixed.epochz": 3, "storage": f"sqlite:///{tmp_path / 'x.db'}"})
    with pytest.raises(ConfigError, match="^model_file: .* is a folder; give a file name$"):
        nntune.tune(set={"storage": f"sqlite:///{tmp_path / 'x.db'}"}, model_file=tmp_path)
    with pytest.raises(ConfigError, match="is not a mapping"):
        nntune.tune(set={"search.trials.n": 3})
    assert list(tmp_path.iterdir()) == []
