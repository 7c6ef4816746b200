"""A ReLU before a max pooling runs after it where nothing is measured: the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import nntune.train.loop as loop
from nntune.train import fit
from nntune.train.models import build_model
from nntune.train.pool_first import pool_first, relu_after_max_pool
from nntune.train.splits import Splits


def test_relu_moves_after_max_pooling_with_the_same_outputs_and_gradients() -> None:
    ops = [("conv", nn.Conv2d(2, 3, 3, padding=1)), ("act", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
           ("act2", nn.ReLU()), ("avg", nn.AvgPool2d(2)), ("tanh", nn.Tanh()), ("pool2", nn.MaxPool2d(2))]
    moved = relu_after_max_pool(ops)
    assert [n for n, _ in moved] == ["conv", "pool", "act", "act2", "avg", "tanh", "pool2"]
    x = torch.randn(4, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    grads = []
    for order in (ops, moved):
        xi = x.clone().requires_grad_(True)
        out = xi
        for _, module in order:
            out = module(out)
        out.pow(2).sum().backward()
        grads.append((out.detach(), xi.grad))
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])


def test_a_built_in_cnn_pools_first_with_its_own_modules_and_an_mlp_runs_as_built() -> None:
    cnn = build_model({"model": "cnn", "conv_layers": 2, "filters": 4, "units": 8}, (1, 8, 8), 10)
    fast = pool_first(cnn)
    assert [n for n, _ in fast.named_children()][:6] == ["conv1", "pool1", "act1", "conv2", "pool2", "act2"]
    assert all(a is b for a, b in zip(cnn.parameters(), fast.parameters()))
    assert fast.state_dict().keys() == cnn.state_dict().keys()
    for params in ({"model": "cnn", "pool": "avg"}, {"model": "cnn", "activation": "tanh"}, {"model": "mlp"}):
        model = build_model(params, (1, 8, 8) if params["model"] == "cnn" else (64,), 10)
        assert pool_first(model) is model


def _no_pool_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop, "pool_first", lambda model: model)


@pytest.mark.parametrize("extra, changes", [
    ({}, None),
    ({"batchnorm": True, "optimizer": "momentum", "lr": 0.05, "l1": 1e-4}, None),
    # A live change that adds Dropout modules after the first epoch: the later epochs' steps use them.
    ({}, lambda epoch, hp: {"dropout": 0.3} if epoch == 1 else {}),
], ids=["adam", "batchnorm-momentum-l1", "dropout-added-live"])
def test_fit_pooling_first_trains_exactly_as_the_model_as_built(
        digits_images: Splits, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any],
        changes: Callable[[int, dict[str, Any]], dict[str, Any]] | None) -> None:
    params = {"model": "cnn", "conv_layers": 1, "filters": 4, "units": 16, "optimizer": "adam", "lr": 1e-2,
              "epochs": 3, "batch_size": 64, **extra}
    calls: list[nn.Module] = []
    real = loop.pool_first
    monkeypatch.setattr(loop, "pool_first", lambda model: calls.append(real(model)) or calls[-1])
    fast = fit(params, digits_images, seed=3, changes=changes)
    assert len(calls) == 3 and all(c is not fast.model for c in calls)  # one per epoch, pooling first
    if changes is not None:
        assert any(isinstance(m, nn.Dropout) for m in calls[-1].modules())
    _no_pool_first(monkeypatch)
    built = fit(params, digits_images, seed=3, changes=changes)
    # Every record (losses, scores, the per-layer activation and gradient statistics the
    # diagnosis reads) and every weight, equal to the last bit.
    assert [{k: v for k, v in r.items() if k != "epoch_time"} for r in fast.history] == \
        [{k: v for k, v in r.items() if k != "epoch_time"} for r in built.history]
    state, expected = fast.model.state_dict(), built.model.state_dict()
    assert state.keys() == expected.keys() and all(torch.equal(state[k], expected[k]) for k in state)


def test_a_model_of_your_own_runs_as_its_builder_wrote_it(monkeypatch: pytest.MonkeyPatch, own_module,
                                                          digits_images: Splits) -> None:
    own_module("ownpool", "from torch import nn\n"
                          "def Net(input_shape, n_outputs):\n"
                          "    return nn.Sequential(nn.Conv2d(input_shape[0], 4, 3, padding=1), nn.ReLU(),\n"
                          "                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, n_outputs))\n")
    seen: list[nn.Module] = []
    monkeypatch.setattr(loop, "pool_first", lambda model: seen.append(model) or model)
    fit({"model": "ownpool:Net", "epochs": 1, "batch_size": 64}, digits_images, seed=0)
    assert seen == []  # its hooks (a user's own, on the ReLU) see what it built
