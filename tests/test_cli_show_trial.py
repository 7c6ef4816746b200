"""``nntune show --trial N``: any trial's diagnosis, wherever it ranks. The leaderboard
holds the top ``--top`` trials, and a trial below them had its diagnosis in --json only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nntune


@pytest.fixture
def url(tmp_path: Path) -> str:
    """Five complete trials, trial 0 overfitting and ranked last, and trial 2 failed."""
    def objective(t: nntune.Trial) -> float:
        t.suggest_float("x", 0, 1)
        for e in range(1, 9):
            train = 1.0 / e
            val = 0.5 + abs(e - 3) * 0.1 if t.number == 0 else 1.0 / e  # trial 0's rises after epoch 3
            t.report(1 - val, e, metrics={"train_loss": train, "val_loss": val, "train_accuracy": 1 - train,
                                          "val_accuracy": 1 - val})
        if t.number == 2:
            raise RuntimeError("boom")
        return 1 - val

    storage = f"sqlite:///{tmp_path / 'm.db'}"
    study = nntune.create_study(study_name="m", storage=storage, direction="maximize")
    study.optimize(objective, n_trials=6, catch=(RuntimeError,))
    return storage


def test_a_trial_below_the_leaderboard_shows_its_diagnosis(call_cli, url):
    code, out, err = call_cli("show", "--storage", url, "--study", "m", "--top", "2")
    assert code == 0 and "overfitting" not in out, err  # the leaderboard's top two are healthy
    code, out, err = call_cli("show", "--storage", url, "--study", "m", "--top", "2", "--trial", "0")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "trial 0 of m: complete, validation accuracy 0 after 8 epochs; 5th of 5 on the leaderboard"
    assert lines[1] == "params: x=0.5"
    assert "diagnosis of trial 0" in out and "overfitting" in out and "validation loss rose" in " ".join(out.split())


def test_a_failed_trial_shows_its_error_and_several_trials_come_in_the_order_asked(call_cli, url):
    code, out, err = call_cli("show", "--storage", url, "--study", "m", "--trial", "2", "--trial", "1",
                              "--trial", "2")
    assert code == 0, err
    heads = [line for line in out.splitlines() if line.startswith("trial ")]
    assert [h.split(" of ")[0] for h in heads] == ["trial 2", "trial 1"]
    assert heads[0] == "trial 2 of m: failed after 8 epochs; not ranked (no value)"
    assert "error: RuntimeError: boom" in out
    assert "no findings in the curve of trial 2; the error above ended it" in out
    assert "no findings for trial 1: its curve looks healthy" in out


def test_json_holds_the_trials_asked_for_with_their_diagnosis(call_cli, url):
    code, out, err = call_cli("show", "--storage", url, "--study", "m", "--json", "--trial", "0")
    assert code == 0, err
    data = json.loads(out)
    assert [t["number"] for t in data["trials"]] == [0]
    assert [f["kind"] for f in data["trials"][0]["diagnosis"]] == ["overfitting"]
    assert data["counts"]["complete"] == 5  # the study's figures stay the whole study's
    code, out, err = call_cli("show", "--storage", url, "--study", "m", "--json")
    assert code == 0, err
    assert [t["findings"] for t in json.loads(out)["trials"]][0] == ["overfitting"]  # every trial's, as before


@pytest.mark.parametrize("number, problem", [
    ("6", "--trial: study 'm' has no trial 6; its trials are 0 to 5"),
    ("-1", "--trial: must be a trial number >= 0, got -1"),
])
def test_a_trial_the_study_lacks_is_one_line(call_cli, url, number, problem):
    code, out, err = call_cli("show", "--storage", url, "--study", "m", "--trial", number)
    assert (code, out, err) == (2, "", f"nntune: error: {problem}\n")
