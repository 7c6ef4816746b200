"""Where the population executor keeps its members' models: a folder that cannot be made is
refused before any trial starts, and a member whose model cannot be kept fails alone."""

import shutil
from pathlib import Path

import pytest

from nntune.builtin_stack import StackTrainer
from nntune.config import parse_config
from nntune.executors import run_population
from nntune.runner import open_study, prepare
from nntune.storage import SQLStorage
from nntune.trial import TrialState

LR = {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}}


def config(tmp_path, checkpoint_dir, **search):
    return parse_config({"study": "pop", "storage": f"sqlite:///{tmp_path / 'pop.db'}",
                         "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
                         "search": {"executor": "population", "seed": 3, "checkpoint_dir": str(checkpoint_dir),
                                    **search},
                         "space": LR, "fixed": {"epochs": 2, "batch_size": 128, "layers": 1, "units": 16}})


@pytest.mark.parametrize("workers", [1, 2])
def test_a_checkpoint_folder_that_cannot_be_made_exits_2_in_one_line_before_any_trial(
        call_cli, tmp_path, monkeypatch, workers):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("")
    code, _, err = call_cli("tune", "--executor", "population", "--workers", str(workers), "--trials", "2",
                            "--set", "fixed.epochs=1", "--set", f"search.checkpoint_dir={tmp_path / 'a-file' / 'runs'}",
                            "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2 and err.strip().splitlines()[-1].startswith("nntune: error: search.checkpoint_dir: cannot ")
    # Refused before the study is opened: no empty study is left behind.
    assert SQLStorage(f"sqlite:///{tmp_path / 's.db'}").load_study("digits-mlp") is None


def test_a_member_whose_model_cannot_be_kept_fails_and_the_others_go_on(tmp_path):
    runs = tmp_path / "runs"
    # Rising rates: each member beats the one before, so each one's model is kept.
    p = prepare(config(tmp_path, runs, trials=3, population=1, enqueue=[{"lr": lr} for lr in (0.001, 0.01, 0.1)]))
    study = open_study(p)

    def spoil(study, trial):  # after the first member, the folder becomes a file
        if trial.number == 0:
            shutil.rmtree(runs)
            runs.write_text("")
    reason = run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs, checkpoints=p.checkpoints),
                            total=3, population=1, callbacks=[spoil])
    states = [t.state for t in study.trials]
    assert reason == "the study holds 3 trials"
    assert states == [TrialState.COMPLETE, TrialState.FAILED, TrialState.FAILED]
    assert all(t.error.startswith(("FileExistsError", "NotADirectoryError")) for t in study.trials[1:])
    assert Path(runs).is_file()
