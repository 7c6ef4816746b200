"""The dense stack's written-out step against the autograd path it stands in for: the same
losses, gradients and trained weights, member by member, and which networks take it."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from nntune.train.models import build_model
from nntune.train.splits import Splits
from nntune.train.stack import Stack
from nntune.train.stack_dense import dense_plan

MEMBERS: list[dict[str, Any]] = [
    {"optimizer": "momentum", "lr": 0.05, "momentum": 0.8, "weight_decay": 1e-3},
    {"optimizer": "momentum", "lr": 0.01, "momentum": 0.5, "grad_clip": 0.5},
    {"optimizer": "nesterov", "lr": 0.02, "momentum": 0.9, "epochs": 2, "l1": 1e-3},
]


def stacks(splits: Splits, base: dict[str, Any], members: list[dict[str, Any]],
           metric: str = "accuracy") -> tuple[Stack, Stack]:
    """Two equal stacks of ``members``: the first on the dense step, the second on autograd."""
    pair = []
    for dense in (True, False):
        stack = Stack({**base, **members[0]}, splits, capacity=len(members) + 1, seed=3, metric=metric)
        assert stack.dense is not None
        if not dense:
            stack.dense = None
        for i, member in enumerate(members):
            stack.add({**base, **member}, seed=i)
        pair.append(stack)
    return pair[0], pair[1]


def assert_same_training(fast: Stack, slow: Stack, epochs: int) -> None:
    for _ in range(epochs):
        ended_fast, ended_slow = fast.run_epoch(), slow.run_epoch()
        assert [r.key for r in ended_fast] == [r.key for r in ended_slow]
        for slot in fast.members:
            a, b = fast.members[slot].history[-1], slow.members[slot].history[-1]
            assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
            assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-5)
            assert a["value"] == pytest.approx(b["value"], abs=1e-12)
    for name, p in fast.net.params.items():
        torch.testing.assert_close(p.detach(), slow.net.params[name].detach(), rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["plain", "dropout"])
def test_classification_trains_as_autograd_does(digits: Splits, dropout: float) -> None:
    base = {"model": "mlp", "layers": 2, "units": 24, "batch_size": 64, "epochs": 3, "dropout": dropout}
    members = [dict(m) for m in MEMBERS]
    members[1]["dropout"] = 0.0  # members of one stack with and without dropout
    fast, slow = stacks(digits, base, members)
    assert_same_training(fast, slow, 3)


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "tanh", "sigmoid", "gelu"])
def test_each_activation_trains_as_autograd_does(digits: Splits, activation: str) -> None:
    base = {"model": "mlp", "layers": 2, "units": 16, "batch_size": 64, "epochs": 2, "activation": activation,
            "dropout": 0.2}
    fast, slow = stacks(digits, base, MEMBERS)
    assert_same_training(fast, slow, 2)


def test_regression_trains_as_autograd_does(diabetes: Splits) -> None:
    base = {"model": "mlp", "layers": 1, "units": 16, "batch_size": 32, "epochs": 2, "loss": "mse"}
    fast, slow = stacks(diabetes, base, [{**m, "lr": m["lr"] / 10} for m in MEMBERS], "mae")
    assert_same_training(fast, slow, 2)


def test_one_step_gradients_equal_autograds(digits: Splits) -> None:
    base = {"model": "mlp", "layers": 3, "units": 20, "batch_size": 50, "epochs": 1}
    fast, slow = stacks(digits, base, MEMBERS)
    idx = torch.randint(0, len(digits.y_train), (fast.capacity, 50), generator=torch.Generator().manual_seed(0))
    mask = torch.tensor([1.0, 0.0, 1.0, 1.0])  # slot 2 (L1 on) and the free slot 3 train
    loss_fast, out_fast = fast.forward_backward(idx, mask, l1=True)
    loss_slow, out_slow = slow.forward_backward(idx, mask, l1=True)
    torch.testing.assert_close(loss_fast, loss_slow.detach())
    torch.testing.assert_close(out_fast, out_slow.detach())
    for name, p in fast.net.params.items():
        torch.testing.assert_close(p.grad, slow.net.params[name].grad, msg=name)
        assert not p.grad[1].any()  # a masked slot's gradient is zero (it has no L1)


def plan_of(params: dict[str, Any], loss: str = "cross_entropy", task: str = "classification",
            shape: tuple[int, ...] = (64,)) -> Any:
    model = build_model({"model": "mlp", "layers": 2, "units": 8, "dropout": 0.5, "activation": "relu",
                         "batchnorm": False, "init": "default", **params}, shape, 10)
    return dense_plan(list(model.named_children()), loss, task)


def test_which_networks_take_the_dense_step() -> None:
    assert [(name, type(act).__name__, drop) for name, act, drop in plan_of({})] == [
        ("fc1", "ReLU", "drop1"), ("fc2", "ReLU", "drop2"), ("head", "NoneType", None)]
    assert plan_of({}, shape=(1, 8, 8))[0][0] == "fc1"  # images flattened first
    assert plan_of({}, "mse", "regression") is not None
    assert plan_of({"batchnorm": True}) is None
    assert plan_of({"activation": "tanh"})[0][1].__class__ is nn.Tanh
    assert dense_plan([("fc", nn.Linear(2, 2)), ("act", nn.LeakyReLU(-0.5))], "cross_entropy",
                      "classification") is None  # its backward from the output needs a slope of 0 or more
    assert plan_of({}, loss="mse") is None  # squared error on class probabilities: autograd's
    assert plan_of({}, "huber", "regression") is None
    assert dense_plan([("conv", nn.Conv2d(1, 2, 3)), ("fc", nn.Linear(2, 2))], "cross_entropy",
                      "classification") is None
