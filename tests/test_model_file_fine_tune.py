"""``nntune.load_model``'s module predicts in eval mode, the same answer twice, and a
``predict`` while it is fine-tuned (``train()``) leaves its dropout on: it switched it off
for every step after the check."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import nntune
from nntune.model_file import TunedModel, save_model_file
from nntune.train import fit, load_splits


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[TunedModel, torch.Tensor]:
    """A digits MLP with dropout and batch norm, as a file loaded back: (model, raw inputs)."""
    folder = tmp_path_factory.mktemp("fine")
    splits = load_splits("digits", seed=0)
    params = {"epochs": 1, "units": 32, "layers": 2, "dropout": 0.5, "batchnorm": True}
    model = fit(params, splits, seed=0).model
    path = save_model_file(folder / "m.pt", model, params, splits, study="fine", trial=0, data="digits")
    return nntune.load_model(path), torch.rand(16, 64) * 16


def modes(model: nn.Module) -> list[bool]:
    return [m.training for m in model.modules() if isinstance(m, (nn.Dropout, nn.BatchNorm1d))]


def test_a_loaded_model_predicts_the_same_twice(loaded) -> None:
    model, x = loaded
    assert not model.training and not any(modes(model))
    assert torch.equal(model(x), model(x))


def test_predict_in_training_mode_answers_as_evaluated_and_leaves_it_training(loaded) -> None:
    model, x = loaded
    evaluated = model.predict_proba(x)
    model.train()
    try:
        statistics = model.network.state_dict()
        running = {k: v.clone() for k, v in statistics.items() if "running" in k}
        assert (model.predict_proba(x) == evaluated).all() and model.predict(x) == model.predict(x)
        assert model.training and all(modes(model))  # its dropout still on for the next step
        assert all(torch.equal(v, model.network.state_dict()[k]) for k, v in running.items())
        assert not torch.equal(model(x), model(x))  # dropout acts
    finally:
        model.eval()
