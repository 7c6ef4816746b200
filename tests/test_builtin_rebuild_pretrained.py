"""A trial's kept checkpoint holds every weight: rebuilding its model (``nntune
export-model`` of a PBT trial, a model file loaded elsewhere) does not read the
``pretrained_weights`` file the study started from, which may have moved since."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nntune.builtin import rebuild_model
from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.runner import open_study, prepare
from nntune.train import build_model

MLP = {"model": "mlp", "layers": 1, "units": 8}


def test_build_model_without_pretrained_reads_no_weights_file(tmp_path: Path) -> None:
    missing = {**MLP, "pretrained_weights": str(tmp_path / "moved.pt")}
    with pytest.raises(ConfigError, match="^pretrained_weights: no such file"):
        build_model(missing, (64,), 10)
    assert build_model(missing, (64,), 10, pretrained=False).head.out_features == 10


def test_a_checkpointed_trial_rebuilds_after_its_weights_file_moved(tmp_path: Path) -> None:
    weights = tmp_path / "start.pt"
    torch.save(build_model(MLP, (64,), 10).state_dict(), weights)
    cfg = parse_config({"study": "moved", "storage": f"sqlite:///{tmp_path / 'm.db'}",
                        "task": {"data": "digits", "model": "mlp", "train_size": 0.2},
                        "search": {"trials": 1, "seed": 3}, "space": {},
                        "fixed": {"epochs": 1, "layers": 1, "units": 8, "pretrained_weights": str(weights)}})
    p = prepare(cfg)
    study = open_study(p)
    trial = study.ask()
    trained = build_model({**MLP, "init": "zeros"}, (64,), 10)
    checkpoint = tmp_path / "trial-0.pt"
    torch.save({"model": trained.state_dict()}, checkpoint)
    study.storage.set_trial_system_attr(study.id, trial.number, "checkpoint", str(checkpoint))
    study.tell(trial, 0.5)
    weights.unlink()
    model = rebuild_model(study, cfg, p.splits, study.storage.get_trial(study.id, trial.number))
    assert all(torch.equal(v, trained.state_dict()[k]) for k, v in model.state_dict().items())
