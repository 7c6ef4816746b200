"""A checkpointed trial of a study that resizes its images (``task.augment``) rebuilds the
network for the resized input it was trained on, not the data's own size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nntune.builtin import evaluation_transform, rebuild_model
from nntune.config import parse_config
from nntune.runner import open_study, prepare
from nntune.train import build_model
from nntune.train.basics import model_input_shape


def test_a_resized_cnn_rebuilds_from_its_checkpoint(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "images.npz", x=rng.integers(0, 255, (24, 3, 16, 16), dtype=np.uint8), y=np.arange(24) % 2)
    params = {"epochs": 1, "conv_layers": 1, "filters": 2, "units": 4}
    cfg = parse_config({"study": "resized", "storage": f"sqlite:///{tmp_path / 'r.db'}",
                        "task": {"data": {"kind": "npz", "path": str(tmp_path / "images.npz")}, "model": "cnn",
                                 "augment": ["cifar10_train"]},
                        "search": {"trials": 1, "seed": 3}, "space": {}, "fixed": params})
    p = prepare(cfg)
    shape = model_input_shape(p.splits, evaluation_transform(cfg, cfg.hyperparameters()))
    assert shape[1:] != tuple(p.splits.input_shape[1:])  # the model sees 224x224, the data is 16x16
    study = open_study(p)
    trial = study.ask()
    trained = build_model({"model": "cnn", **params}, shape, 2)
    checkpoint = tmp_path / "trial-0.pt"
    torch.save({"model": trained.state_dict()}, checkpoint)
    study.storage.set_trial_system_attr(study.id, trial.number, "checkpoint", str(checkpoint))
    study.tell(trial, 0.5)
    model = rebuild_model(study, cfg, p.splits, study.storage.get_trial(study.id, trial.number))
    assert torch.equal(model.fc.weight, trained.fc.weight)
