"""A model file loads wherever it goes: without the pretrained_weights file its study
started from (the file holds every weight), and at the resized input size it trained on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nntune.model_file import load_model, save_model_file
from nntune.train import build_model, load_splits


def test_a_model_trained_from_pretrained_weights_loads_without_that_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "images.npz", x=rng.integers(0, 255, (30, 3, 8, 8), dtype=np.uint8), y=np.arange(30) % 3)
    splits = load_splits({"kind": "npz", "path": str(tmp_path / "images.npz")}, seed=0)
    weights = tmp_path / "resnet18.pth"
    params = {"model": "resnet18", "pretrained_weights": str(weights)}
    torch.save(build_model({"model": "resnet18"}, (3, 8, 8), 1000).state_dict(), weights)
    model = build_model(params, (3, 8, 8), 3)
    save_model_file(tmp_path / "tuned.pt", model, params, splits, study="s", trial=0)
    weights.unlink()  # the model file goes to another machine, without the weights it started from
    loaded = load_model(tmp_path / "tuned.pt")
    x = torch.rand(2, 3, 8, 8)
    assert loaded.params["pretrained_weights"] == str(weights)
    assert torch.equal(loaded.network.fc.weight, model.fc.weight)
    assert loaded(x).shape == (2, 3)


def test_a_cnn_trained_on_resized_images_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "images.npz", x=rng.integers(0, 255, (30, 3, 16, 16), dtype=np.uint8), y=np.arange(30) % 3)
    splits = load_splits({"kind": "npz", "path": str(tmp_path / "images.npz")}, seed=0)
    params = {"model": "cnn", "conv_layers": 1, "filters": 2, "units": 4}
    model = build_model(params, (3, 32, 32), 3)  # task.augment resized the 16x16 images to 32x32
    save_model_file(tmp_path / "tuned.pt", model, params, splits, study="s", trial=0, resize=(32, 32))
    loaded = load_model(tmp_path / "tuned.pt")  # was: size mismatch for fc.weight
    assert torch.equal(loaded.network.fc.weight, model.fc.weight)
    assert loaded(torch.rand(2, 3, 16, 16)).shape == (2, 3)
