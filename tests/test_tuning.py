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
    # Its repr, as a notebook prints it, is the --json summary's head, not every trial's records.
    shown, best = repr(summary), summary.best
    value = float(f"{best.value:.4g}")  # a score to 4 digits: 0.8, not 0.7999999999999999
    assert shown.startswith(f"TuneSummary(study='iris', trials={summary.to_json()['trials']!r}, metric='accuracy', "
                            f"best={{'trial': {best.number}, 'value': {value!r}, 'params': {{}}}}, test={{'accuracy': ")
    assert len(shown) < 400 and summary.leaderboard and best.user_attrs  # the attributes hold the rest
    again = nntune.tune({"study": "iris", "storage": f"sqlite:///{tmp_path / 'i.db'}", "task": {"data": "iris"}},
                        set={"search.trials": 3, "fixed.epochs": 3, "search.seed": 1}, report=False,
                        model_file=tmp_path / "other.pt")
    # Nothing left to run and the same best: its recorded look, no new model, no report.
    assert again.test.recorded and again.model_path is None and again.report_path is None
    assert not (tmp_path / "other.pt").exists()


def test_bad_input_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="^fixed.epochz: unknown hyperparameter; did you mean 'epochs'\\?$"):
        nntune.tune(set={"fixed.epochz": 3, "storage": f"sqlite:///{tmp_path / 'x.db'}"})
    with pytest.raises(ConfigError, match="^model_file: .* is a folder; give a file name$"):
        nntune.tune(set={"storage": f"sqlite:///{tmp_path / 'x.db'}"}, model_file=tmp_path)
    with pytest.raises(ConfigError, match="is not a mapping"):
        nntune.tune(set={"search.trials.n": 3})
    assert list(tmp_path.iterdir()) == []


def test_arrays_in_memory_are_the_studys_data_file(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_iris

    monkeypatch.chdir(tmp_path)
    x, y = load_iris(return_X_y=True)
    names = load_iris().target_names[y]  # text labels
    # nntune's own space classes in the dict, as a YAML file's entries (refused as no mapping before)
    cfg = {"study": "mem", "storage": f"sqlite:///{tmp_path / 'm.db'}", "search": {"trials": 2},
           "fixed": {"epochs": 3}, "space": {"lr": nntune.Float(1e-3, 1e-1, log=True)}}
    summary = nntune.tune(cfg, data=(torch.tensor(x, dtype=torch.float32), list(names)), report=False)
    files = sorted((tmp_path / "data").iterdir())
    assert len(files) == 1 and files[0].name.startswith("mem-") and files[0].suffix == ".npz"
    study = nntune.load_study(study_name="mem", storage=cfg["storage"])
    stored = study.storage.load_study("mem").attrs["config"]
    assert stored["task"]["data"] == {"kind": "npz", "path": str(files[0].relative_to(tmp_path))}
    assert {k: stored["space"]["lr"][k] for k in ("type", "low", "high", "log")} == \
        {"type": "float", "low": 1e-3, "high": 1e-1, "log": True}
    cfg["space"] = nntune.Space({"lr": nntune.Float(1e-3, 1e-1, log=True)})  # the same space: a resume
    model = nntune.load_model(summary.model_path)
    assert model.classes == ["setosa", "versicolor", "virginica"]
    assert set(model.predict(torch.tensor(x[:10], dtype=torch.float32))) <= set(model.classes)

    # The same arrays again (as a dict, from numpy) resume the study from the same file.
    again = nntune.tune({**cfg, "search": {"trials": 3}}, data={"x": x.astype("float32"), "y": names}, report=False)
    assert again.counts["complete"] == 3 and len(list((tmp_path / "data").iterdir())) == 1
    # Other arrays are another task: refused before anything is written, the file not left.
    with pytest.raises(ConfigError, match=r"^data: other arrays than the ones study 'mem' was tuned with"):
        nntune.tune({**cfg, "search": {"trials": 4}}, data=(x[:120], names[:120]), report=False)
    assert len(list((tmp_path / "data").iterdir())) == 1


def test_arrays_the_trainer_refuses_are_one_line_and_leave_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    storage = f"sqlite:///{tmp_path / 'b.db'}"
    x = [[0.0, 1.0]] * 12
    for data, says in ((([1.0] * 12,), "data: give (x, y)"),
                       ({"x": x, "labels": [0] * 12}, "data: unknown keys ['labels']"),
                       ({"x": x}, "data.y: is missing"),
                       ((x, [0, 1] * 3), "data.y: 6 targets for 12 inputs")):
        with pytest.raises(ConfigError) as caught:
            nntune.tune({"study": "b", "storage": storage}, data=data, report=False)
        assert str(caught.value).startswith(says) and "\n" not in str(caught.value)
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").iterdir())
    assert not (tmp_path / "b.db").exists()


def test_arrays_with_gaps_are_filled_from_the_training_rows_and_so_are_new_ones(tmp_path, monkeypatch):
    import numpy as np

    from nntune.predict import predict_file

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, size=(200, 2)).astype(np.float32)
    y = (x[:, 0] > 5).astype(int)
    x[::7, 1] = np.nan
    cfg = {"study": "gaps", "storage": f"sqlite:///{tmp_path / 'g.db'}", "task": {"data": {"missing": "mean"}},
           "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 10, "optimizer": "adam"}}
    summary = nntune.tune(cfg, data=(x, y), report=False)
    model = nntune.load_model(summary.model_path)
    assert model.meta["missing"]["method"] == "mean"
    np.savez(tmp_path / "new.npz", x=np.array([[2.0, np.nan], [8.0, np.nan]], dtype=np.float32))
    assert list(predict_file(model, tmp_path / "new.npz")["prediction"]) == [0, 1]


def test_a_space_objects_conditions_are_its_entries_when() -> None:
    from nntune.tuning import plain_space

    raw = {"space": nntune.Space({"optimizer": nntune.Choice(["sgd", "momentum"]), "momentum": nntune.Beta(0.8, 0.99),
                                  "units": nntune.Int(4, 64, log=True)}, {"momentum": {"optimizer": ["momentum"]}})}
    plain_space(raw)
    assert raw["space"] == {"optimizer": {"type": "choice", "values": ["sgd", "momentum"]},
                            "momentum": {"type": "beta", "low": 0.8, "high": 0.99, "when": {"optimizer": ["momentum"]}},
                            "units": {"type": "int", "low": 4, "high": 64, "log": True, "step": 1}}


def test_a_config_or_set_of_the_wrong_type_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="^config: give a YAML file's path or a dict, got int$"):
        nntune.tune(123)
    with pytest.raises(ConfigError, match="^set: give a dict of dotted names to values, got list$"):
        nntune.tune(set=[("search.trials", 1)])
    assert list(tmp_path.iterdir()) == []


def test_one_data_set_tuned_as_many_studies_is_on_disk_once(tmp_path, monkeypatch):
    import os

    import torch
    from sklearn.datasets import load_iris

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNTUNE_THREADS", "1")  # each trial sets torch's threads, process-wide
    torch.set_num_threads(3)  # the notebook's own (the test's fixture puts its 1 back)
    x, y = load_iris(return_X_y=True)
    for name in ("try0", "try1", "try2"):  # a notebook's experiments, one study each
        nntune.tune({"study": name, "storage": f"sqlite:///{tmp_path / 'n.db'}", "search": {"trials": 1},
                     "fixed": {"epochs": 1}}, data=(x, y), report=False, model_file=False)
    assert torch.get_num_threads() == 3  # as the notebook had them, for its own torch code after the calls
    files = sorted((tmp_path / "data").iterdir())
    assert [f.name.split("-")[0] for f in files] == ["try0", "try1", "try2"]  # each study names its own
    assert len({(f.stat().st_dev, f.stat().st_ino) for f in files}) == 1  # one file's bytes on disk
    os.remove(files[0])  # removing one study's name leaves the others' data whole
    again = nntune.tune({"study": "try1", "storage": f"sqlite:///{tmp_path / 'n.db'}", "search": {"trials": 2},
                         "fixed": {"epochs": 1}}, data=(x, y), report=False, model_file=False)
    assert again.counts["complete"] == 2

    def interrupt(study, trial):  # Ctrl-C in the notebook as a trial ends
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nntune.tune({"study": "try1", "storage": f"sqlite:///{tmp_path / 'n.db'}", "search": {"trials": 3},
                     "fixed": {"epochs": 1}}, data=(x, y), report=False, model_file=False, on_trial=interrupt)
    assert torch.get_num_threads() == 3
