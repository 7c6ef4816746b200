"""``Study.fork_trial`` from Python: a study of the built-in trainer forks only from a
checkpoint ``nntune babysit`` kept, as ``nntune trial fork`` does. ``nntune tune`` keeps none
and would train the fork from scratch under its parent's name, so it is refused and nothing
is queued; a define-by-run objective reads the lineage itself, so its study forks freely."""

from __future__ import annotations

from pathlib import Path

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.panda import open_babysit_study, queue_new, train_queued
from nntune.trial import TrialState

from tests.test_panda_cli_end import config


def test_a_study_of_nntune_tune_refuses_a_fork_it_has_no_checkpoint_for(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 't.db'}"
    nntune.tune({"study": "t", "storage": storage, "task": {"data": "iris", "model": "mlp"},
                 "search": {"trials": 1, "seed": 0},
                 "space": {"lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True}},
                 "fixed": {"epochs": 3, "units": 8}}, report=False, model_file=False)
    study = nntune.load_study(study_name="t", storage=storage)
    with pytest.raises(ConfigError, match=r"^study: study 't' was not started by nntune babysit; "):
        study.fork_trial(0, 2, {"lr": 0.05})
    assert [t.number for t in study.trials] == [0]


def test_a_babysat_study_forks_only_from_a_kept_checkpoint(tmp_path: Path) -> None:
    cfg = config(tmp_path, epochs=2)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    with pytest.raises(ConfigError, match=r"^from_epoch: no checkpoint of trial 0 at epoch 5 "):
        study.fork_trial(0, 5, {"lr": 1e-3})
    child = study.fork_trial(0, 1, {"lr": 1e-3})
    forked = study.trials[child]
    assert forked.state == TrialState.WAITING
    assert (forked.system_attrs["parent"], forked.system_attrs["parent_step"]) == (0, 1)


def test_a_define_by_run_study_forks_any_reported_epoch(tmp_path: Path) -> None:
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 'd.db'}")
    trial = study.ask()
    trial.suggest_float("lr", 1e-4, 1, log=True)
    trial.report(0.5, 1)
    study.tell(trial, 0.5)
    child = study.fork_trial(0, 1, {"lr": 1e-3})
    assert study.trials[child].system_attrs["parent_step"] == 1
