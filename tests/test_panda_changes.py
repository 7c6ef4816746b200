"""Babysat trials' changes: a value pinned with --set keeps its range, the latest change wins
over a fork's values, the last view tells how the run ended, and a change its trial ended
without taking reads as dropped or carried over, never as pending."""

import json
from pathlib import Path
from typing import Any

import pytest

from nntune.config import parse_config
from nntune.control import params_at
from nntune.exceptions import ConfigError
from nntune.panda import (
    load_babysit_study,
    open_babysit_study,
    queue_fork,
    queue_new,
    queue_resume,
    train_queued,
)
from nntune.space import Float
from nntune.trial import TrialState


def config(tmp_path: Path, **fixed: Any):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 4, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.01, **fixed},
    })


def refused(code: int, err: str, message: str) -> bool:
    return code == 2 and len(err.strip().splitlines()) == 1 and err.startswith(f"nntune: error: {message}")


def test_the_space_range_of_a_pinned_value_still_bounds_it():
    from nntune.panda import declared_ranges, pinned_ranges

    cfg = parse_config({"space": {"weight_decay": {"type": "float", "low": 0.0, "high": 0.1}},
                        "fixed": {"lr": 3e-3, "units": 16}})
    pinned = pinned_ranges({"lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True, "when": {"x": [1]}},
                            "units": {"type": "int", "low": 8, "high": 64}})  # units cannot change: no range kept
    assert pinned == {"lr": Float(1e-5, 1.0, log=True)}
    assert declared_ranges(cfg, pinned) == {"weight_decay": Float(0.0, 0.1), "lr": Float(1e-5, 1.0, log=True)}
    with pytest.raises(ConfigError, match="lr: 50 is outside the range the space gives it"):
        declared_ranges(cfg.model_copy(update={"fixed": {"lr": 50}}), pinned)


def test_babysit_set_keeps_the_default_space_range_of_what_it_pins(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    small = ("--set", "layers=1", "--set", "units=16", "--set", "task.train_size=0.5", "--study", "b",
             "--storage", url)
    code, _, err = call_cli("babysit", "--set", "lr=50", "--set", "epochs=2", *small)
    assert refused(code, err, "lr: 50 is outside the range the space gives it"), err
    assert not (tmp_path / "b.db").exists()  # refused before the study is made

    code, _, err = call_cli("babysit", "--set", "lr=3e-3", "--set", "epochs=2", *small)
    assert code == 0, err
    study, cfg = load_babysit_study(url, "b")
    assert study.get_trials()[0].distributions["lr"] == Float(1e-4, 1.0, log=True)  # the default space's
    code, _, err = call_cli("trial", "fork", "--study", "b", "--trial", "0", "--from-epoch",
                          "1", "--set", "lr=50", "--storage", url)
    assert refused(code, err, "lr: 50.0 is outside the trial's declared range"), err
    waiting = queue_fork(study, cfg, 0, 1)
    code, _, err = call_cli("trial", "set", "--study", "b", "--trial", str(waiting), "lr=50",
                          "--storage", url)
    assert refused(code, err, "lr: 50.0 is outside the trial's declared range"), err
    assert study.param_changes() == [] and len(study.get_trials()) == 2
    # From its last epoch a fork has nothing left to train: refused, unless it is given more.
    code, _, err = call_cli("trial", "fork", "--study", "b", "--trial", "0", "--from-epoch", "2", "--storage", url)
    assert refused(code, err, "--from-epoch: trial 0 trains 2 epochs, so a fork from epoch 2 has none left"), err
    assert len(study.get_trials()) == 2
    assert queue_fork(study, cfg, 0, 2, {"epochs": 3}) == 2


def test_a_change_asked_while_a_fork_waits_wins_over_the_forks_value(tmp_path):
    cfg = config(tmp_path, optimizer="momentum")  # plain sgd reads no momentum: a change of it is refused
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    fork = queue_fork(study, cfg, 0, 2, {"lr": 1e6})  # it would diverge with this
    study.set_trial_params(fork, {"lr": 0.005, "momentum": 0.5})  # asked later: the latest wins
    done = train_queued(study, cfg, fork).trial
    assert done.state == TrialState.COMPLETE, done.error
    changes = study.param_changes(fork)
    assert [(c.param, c.old, c.new, c.epoch) for c in changes] == [
        ("lr", 0.01, 1e6, 2), ("lr", 1e6, 0.005, 2), ("momentum", 0.9, 0.5, 2)]  # the default momentum
    full = study.storage.get_trial(study.id, fork)
    assert {r["step"]: r["lr"] for r in full.metrics}[3] == pytest.approx(0.005)
    assert params_at(full, changes)["lr"] == 0.005 and params_at(full, changes)["momentum"] == 0.5


def test_the_last_view_shows_the_changes_taken_and_the_divergence(tmp_path, call_cli):
    cfg = config(tmp_path, optimizer="sgd")
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    fork = queue_fork(study, cfg, 0, 2, {"lr": 0.005})  # from the dashboard, say
    code, _, err = call_cli("trial", "set", "--study", "panda", "--trial", str(fork), "lr=1e6",
                          "--storage", cfg.storage)
    assert code == 0, err
    code, out, err = call_cli("babysit", "--resume", "--study", "panda", "--trial", str(fork),
                            "--storage", cfg.storage)
    assert code == 0, err
    assert study.storage.get_trial(study.id, fork).state == TrialState.DIVERGED
    panel = out[out.index("╭"):out.rindex("╯")]  # the view as it was left
    assert f"trial {fork} (diverged)" in panel
    assert "after epoch 2: lr 0.01 -> 0.005" in panel and "after epoch 2: lr 0.005 -> 1000000.0" in panel
    assert "training loss is nan at epoch 3" in panel
    assert "pending" not in panel and "healthy" not in panel


def test_changes_a_trial_ended_without_taking_are_not_pending(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)

    class Killed(BaseException):  # as kill -9: nothing after it runs
        pass

    def kill(trial, epoch, record):
        if epoch == 2:
            study.set_trial_params(number, {"lr": 0.005})  # asked of the process about to die
            study.stop_trial(number)
            raise Killed()

    with pytest.raises(Killed):
        train_queued(study, cfg, number, on_epoch=kill)
    host = study.storage.get_trial(study.id, number).system_attrs["babysit"]["host"]
    study.storage.set_trial_system_attr(study.id, number, "babysit", {"pid": 2**22 + 7, "host": host})
    resumed = queue_resume(study, cfg, number)
    # Asked during its last epoch's report: it ends before the next boundary.
    last = train_queued(study, cfg, resumed, on_epoch=lambda t, e, r: e == 4 and study.set_trial_params(
        resumed, {"epochs": 6})).trial
    assert last.state == TrialState.COMPLETE

    code, out, _ = call_cli("trial", "changes", "--study", "panda", "--storage", cfg.storage,
                          "--json")
    assert code == 0
    assert [(r["trial"], r["param"], r["epoch"], r["status"], r["carried_to"]) for r in json.loads(out)] == [
        (number, "lr", None, "carried", resumed), (number, "stop", None, "dropped", None),
        (resumed, "lr", 2, "applied", None), (resumed, "epochs", None, "dropped", None)]
    code, out, _ = call_cli("trial", "changes", "--study", "panda", "--storage", cfg.storage)
    assert code == 0 and "pending" not in out
    assert f"carried to trial {resumed}" in out and out.count("dropped (never taken)") == 2


def test_a_fork_queued_without_its_changes_stored_still_marks_them(tmp_path):
    cfg = config(tmp_path, epochs=3)
    study = open_babysit_study(cfg)
    parent = train_queued(study, cfg, queue_new(study, cfg)).trial
    # As an older nntune queued a fork: its values in fixed_params only.
    old = study.storage.create_trial(study.id, state=TrialState.WAITING, distributions={}, system_attrs={
        "fixed_params": {**parent.params, "lr": 0.002}, "parent": 0, "parent_step": 2, "fork": "fork"})
    train_queued(study, cfg, old)
    assert [(c.param, c.old, c.new, c.epoch) for c in study.param_changes(old)] == [("lr", 0.01, 0.002, 2)]
