"""A rerun of ``nntune tune`` that has nothing left to run: one plain line, no empty bar,
and the same ``--json`` summary as the run that did the work."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from nntune.config import DEFAULT_YAML


def tiny_config(tmp_path):
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 'rerun.db'}"
    raw["fixed"]["epochs"] = 2
    raw["search"]["trials"] = 2
    raw["task"]["train_size"] = 0.3
    path = tmp_path / "rerun.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def bar_lines(text: str) -> list[str]:
    """The progress bar's lines: ``trials (best accuracy 0.9) ━━━ 2/2 0:00:03``."""
    return [line for line in text.splitlines() if re.match(r"^trials.*\d+/\d+", line)]


@pytest.mark.slow
def test_a_rerun_with_nothing_to_run_prints_one_line_and_no_bar(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path)
    code, out, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    first = json.loads(out.strip().splitlines()[-1])
    assert bar_lines(err) and "2/2" in bar_lines(err)[-1]  # the bar, while trials ran

    code, out, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    assert bar_lines(err) == []  # no empty "0/0" progress bar
    assert [line for line in err.splitlines() if "nothing to run" in line] == \
        ["the study already holds 2 finished trials; nothing to run"]
    again = json.loads(out.strip().splitlines()[-1])
    # The same summary, with why it stopped
    assert {**again, "stop_reason": None} == {**first, "stop_reason": None}
    assert again["stop_reason"] == "the study already holds 2 finished trials"
    assert len(out.strip().splitlines()) == 1

    code, out, _ = call_cli("tune", str(cfg))  # and without --json, on stdout
    assert code == 0 and bar_lines(out) == [] and out.count("nothing to run") == 1


def test_resuming_a_study_with_another_task_or_budget_is_refused_before_anything_runs(call_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    code, _, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    for change, field in ((("--set", "task.data=wine"), "task.data"), (("--set", "fixed.epochs=3"), "fixed.epochs"),
                          (("--seed", "7"), "search.seed")):
        code, out, err = call_cli("tune", str(cfg), "--trials", "3", *change)
        assert code == 2 and err.startswith(f"nntune: error: {field}: ") and len(err.splitlines()) == 1, err
        assert "keep that config to resume the study, or tune another one (--study NAME)" in err
    # What only extends the search is fine: more trials, another sampler.
    code, out, err = call_cli("tune", str(cfg), "--trials", "3", "--sampler", "tpe", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["trials"]["complete"] == 3


def test_resuming_with_a_space_entry_of_another_type_is_refused_before_any_trial_fails(call_cli, tmp_path):
    from nntune.storage import get_storage

    cfg = tiny_config(tmp_path)
    code, _, err = call_cli("tune", str(cfg))
    assert code == 0, err
    raw = yaml.safe_load(cfg.read_text())
    raw["search"]["trials"] = 3
    raw["space"]["units"] = {"type": "choice", "values": [32, 64]}  # an int range before
    cfg.write_text(yaml.safe_dump(raw, sort_keys=False))
    code, _, err = call_cli("tune", str(cfg))
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("nntune: error: space.units: type choice here, but the stored trials of study ")
    storage = get_storage(raw["storage"])
    assert len(storage.get_trials(storage.load_study(raw["study"]).id)) == 2  # no trial started, none failed
    # A new range of the same type resumes: the values stay comparable.
    raw["space"]["units"] = {"type": "int", "low": 16, "high": 48}
    cfg.write_text(yaml.safe_dump(raw, sort_keys=False))
    code, _, err = call_cli("tune", str(cfg))
    assert code == 0, err


def test_the_bar_of_a_resumed_study_shows_the_best_of_every_run(call_cli, tmp_path, monkeypatch):
    # It showed the best of this run's trials only: a resumed study whose best trial came
    # from an earlier run read "best accuracy 0.8" above "best trial 0: ... 0.95".
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path)
    code, out, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    best = json.loads(out.strip().splitlines()[-1])["best"]["value"]
    code, out, err = call_cli("tune", str(cfg), "--trials", "3", "--set", "space.lr={type: float, low: 1.0e-4, "
                              "high: 2.0e-4, log: true}", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["best"]["value"] == best  # the new trial learns little
    assert bar_lines(err) and f"(best accuracy {best:.4g})" in bar_lines(err)[-1], err
