"""A trial whose kept checkpoint is gone is retrained from scratch, and says so: its weights
came from other trials (population-based training), so the retrain is another model, and
its model file names no trial it continued from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import nntune
from nntune.builtin import rebuild_model, save_trial_model
from nntune.config import parse_config
from nntune.runner import open_study, prepare
from nntune.trial import TrialState


def one_trial(tmp_path: Path, **user_attrs: Any) -> tuple[Any, ...]:
    """A study of one complete trial whose checkpoint, trial-0.pt, was never written."""
    cfg = parse_config({"study": "gone", "storage": f"sqlite:///{tmp_path / 'g.db'}",
                        "task": {"data": "digits", "model": "mlp", "metric": "accuracy", "train_size": 0.2},
                        "search": {"trials": 1, "seed": 3}, "space": {},
                        "fixed": {"epochs": 1, "layers": 1, "units": 8, "optimizer": "sgd", "lr": 0.1}})
    p = prepare(cfg)
    study = open_study(p)
    trial = study.ask()
    for key, value in user_attrs.items():
        trial.set_user_attr(key, value)
    checkpoint = tmp_path / "trial-0.pt"
    study.storage.set_trial_system_attr(study.id, trial.number, "checkpoint", str(checkpoint))
    study.tell(trial, 0.5)
    frozen = study.storage.get_trial(study.id, trial.number)
    assert frozen.state == TrialState.COMPLETE
    return cfg, p.splits, study, frozen, checkpoint


def test_a_missing_checkpoint_warns_that_the_retrain_is_another_model(tmp_path):
    cfg, splits, study, frozen, _ = one_trial(tmp_path)
    with pytest.warns(UserWarning, match=r"trial 0's checkpoint .*trial-0.pt is gone; its configuration is retrained"):
        rebuild_model(study, cfg, splits, frozen)


def test_a_retrained_models_file_does_not_claim_the_parents_weights(tmp_path):
    """A PBT copy whose checkpoint is gone is retrained from scratch: its file names no
    trial it continued from, while one whose checkpoint is kept still does."""
    cfg, splits, study, frozen, checkpoint = one_trial(tmp_path, pbt_parent=7, pbt_parent_step=3)
    with pytest.warns(UserWarning, match="is gone"):
        retrained = rebuild_model(study, cfg, splits, frozen)
    save_trial_model(tmp_path / "r.pt", retrained, study, cfg, splits, frozen)
    assert nntune.load_model(tmp_path / "r.pt").continued_from is None
    torch.save({"model": retrained.state_dict()}, checkpoint)  # now its weights are kept
    save_trial_model(tmp_path / "k.pt", rebuild_model(study, cfg, splits, frozen), study, cfg, splits, frozen)
    assert nntune.load_model(tmp_path / "k.pt").continued_from == {"trial": 7, "epoch": 3}
