"""A babysat study keeps what its trials' checkpoints and splits depend on, and a trial
whose process died before its first epoch does not read as running forever."""

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.control import change_rows
from nntune.panda import load_babysit_study, open_babysit_study, queue_fork, queue_new, queue_resume, train_queued
from nntune.trial import TrialState


def config(tmp_path: Path, runs: str = "runs", **search: Any):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / runs), **search},
        "fixed": {"epochs": 2, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.01},
    })


def refused(code: int, err: str, message: str) -> bool:
    return code == 2 and len(err.strip().splitlines()) == 1 and err.startswith(f"nntune: error: {message}")


def dead_pid() -> int:
    """The id of a process that has ended (what kill -9 leaves a babysat trial's record with)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_study_refuses_another_checkpoint_folder_or_split_seed(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    with pytest.raises(ConfigError, match=r"^search.checkpoint_dir: '.*runs2' here, but study 'panda' keeps its "
                                          r"checkpoints in '.*runs'; give that folder"):
        open_babysit_study(config(tmp_path, "runs2"))
    with pytest.raises(ConfigError, match=r"^search.seed: 1 here, 0 in the config study 'panda' was trained with"):
        open_babysit_study(config(tmp_path, seed=1))
    code, _, err = call_cli("babysit", "--study", "panda", "--storage", cfg.storage, "--set", "epochs=1",
                            "--set", f"search.checkpoint_dir={tmp_path / 'runs2'}")
    assert refused(code, err, "search.checkpoint_dir: "), err
    assert len(study.get_trials()) == 1  # nothing queued
    # Trial 0's snapshots are still where a fork looks for them.
    again, stored = load_babysit_study(cfg.storage, "panda")
    assert queue_fork(again, stored, 0, 1, {"lr": 0.001}) == 1


def test_a_trial_killed_before_its_first_epoch_is_failed_by_a_resume(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    claimed = study.storage.claim_trial(study.id, waiting_only=True, number=number)
    assert claimed is not None
    # What babysit records as it starts training, then kill -9 before the first epoch ends.
    study.storage.set_trial_system_attr(study.id, number, "babysit",
                                        {"pid": dead_pid(), "host": socket.gethostname()})
    code, _, err = call_cli("babysit", "--resume", "--study", "panda", "--trial", str(number),
                            "--storage", cfg.storage)
    trial = study.storage.get_trial(study.id, number)
    assert trial.state == TrialState.FAILED and "process is gone" in (trial.error or "")
    assert refused(code, err, "trial: trial 0 has no kept checkpoint in "), err
    assert "(it ended before its first epoch)" in err
    assert len(study.get_trials()) == 1  # no continuation queued


def test_a_trial_is_continued_once_and_its_changes_taken_once(tmp_path, call_cli):
    cfg = config(tmp_path).model_copy(update={"fixed": {**config(tmp_path).fixed, "epochs": 4}})
    study = open_babysit_study(cfg)

    def ctrl_c_after_2(trial, epoch, record):
        if epoch == 2:
            study.set_trial_params(trial.number, {"lr": 0.02})  # asked as it is stopped: never taken
            raise KeyboardInterrupt

    assert train_queued(study, cfg, queue_new(study, cfg), on_epoch=ctrl_c_after_2).trial.state == TrialState.PRUNED
    first = queue_resume(study, cfg, 0)
    assert queue_resume(study, cfg, 0) == first  # queued and not started: the same continuation trains
    done = train_queued(study, cfg, first).trial
    assert done.state == TrialState.COMPLETE and done.params.get("lr") == 0.01
    code, _, err = call_cli("babysit", "--resume", "--study", "panda", "--trial", "0", "--storage", cfg.storage)
    assert refused(code, err, f"trial: trial 0 was continued by trial {first} (complete); resume that one"), err
    taken = [(r["trial"], r["status"]) for r in change_rows(study.storage, study.id) if r["param"] == "lr"]
    assert taken == [(0, "carried"), (first, "applied")]
    assert [t.number for t in study.get_trials()] == [0, first]


def test_a_stop_of_a_killed_trial_is_refused_and_points_to_resume(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    assert study.storage.claim_trial(study.id, waiting_only=True, number=number) is not None
    study.storage.set_trial_system_attr(study.id, number, "babysit", {"pid": dead_pid(), "host": socket.gethostname()})
    code, out, err = call_cli("trial", "stop", "--study", "panda", "--trial", str(number), "--storage", cfg.storage)
    # "stops after its current epoch" would be a promise no process keeps.
    assert refused(code, err, "trial: trial 0 of study 'panda' no longer trains: its process "), err
    assert f"nntune babysit --resume --study panda --trial 0 --storage {cfg.storage}" in err and out == ""
    assert study.storage.get_param_changes(study.id, number) == []  # nothing written
    # A change is kept for the continuation, but "from its next epoch" would be a promise too.
    code, out, err = call_cli("trial", "set", "--study", "panda", "--trial", str(number), "--storage", cfg.storage,
                              "lr=0.001")
    assert code == 0 and out.startswith("trial 0 of study panda: lr = 0.001 once continued: its process "), err
    assert out.endswith(f"nntune babysit --resume --study panda --trial 0 --storage {cfg.storage} continues it "
                        "with the change\n"), out
    assert [(c.param, c.pending) for c in study.storage.get_param_changes(study.id, number)] == [("lr", True)]
    # One still training here is stopped as ever.
    study.storage.set_trial_system_attr(study.id, number, "babysit", {"pid": os.getpid(), "host": socket.gethostname()})
    code, out, err = call_cli("trial", "stop", "--study", "panda", "--trial", str(number), "--storage", cfg.storage)
    assert code == 0 and out == "trial 0 of study panda stops after its current epoch\n", err
