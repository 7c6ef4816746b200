"""Initializers, optimizers, weight decay modes, L1 and learning-rate schedules."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.loop import fit
from nntune.train.models import build_model
from nntune.train.optim import LrSchedule, build_optimizer, decoupled_step, init_weights, l1_penalty
from nntune.train.splits import Splits

FAN_IN = 2000


def initialized(scheme: str, **extra: Any) -> nn.Linear:
    layer = nn.Linear(FAN_IN, 400)
    init_weights(layer, {"init": scheme, **extra}, generator=torch.Generator().manual_seed(0))
    return layer


@pytest.mark.parametrize(
    ("scheme", "std"),
    [
        ("he_normal", math.sqrt(2 / FAN_IN)),
        ("he_uniform", math.sqrt(2 / FAN_IN)),
        ("xavier_normal", 1 / math.sqrt(FAN_IN)),
        ("xavier_uniform", 1 / math.sqrt(FAN_IN)),
        ("normal", 0.01),
    ],
)
def test_init_std_follows_the_notes(scheme: str, std: float) -> None:
    layer = initialized(scheme)
    assert layer.weight.std().item() == pytest.approx(std, rel=0.02)
    assert layer.weight.mean().item() == pytest.approx(0.0, abs=std / 50)
    assert torch.count_nonzero(layer.bias) == 0


def test_uniform_inits_respect_their_bounds() -> None:
    he = initialized("he_uniform").weight
    assert he.abs().max() <= math.sqrt(6 / FAN_IN)
    assert he.abs().max() > 0.99 * math.sqrt(6 / FAN_IN)
    layer = nn.Linear(6, 100)  # the notes' example: 6 inputs -> [-1/36, 1/36]
    init_weights(layer, {"init": "uniform_inv_n2"}, generator=torch.Generator().manual_seed(0))
    assert layer.weight.abs().max() <= 1 / 36
    assert layer.weight.abs().max() > 0.95 / 36


def test_normal_init_std_is_configurable_and_conv_fan_in_counts_the_kernel() -> None:
    assert initialized("normal", init_std=1.0).weight.std().item() == pytest.approx(1.0, rel=0.02)
    conv = nn.Conv2d(50, 64, kernel_size=3)  # fan-in 50 * 3 * 3 = 450
    init_weights(conv, {"init": "he_normal"}, generator=torch.Generator().manual_seed(0))
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / 450), rel=0.03)


def test_default_init_keeps_pytorch_biases_and_zeros_zeroes() -> None:
    torch.manual_seed(0)
    assert torch.count_nonzero(initialized("default").bias) > 0
    assert torch.count_nonzero(initialized("zeros").weight) == 0
    with pytest.raises(ConfigError, match="init"):
        initialized("lecun")


def test_zero_init_keeps_hidden_units_identical_after_training(
    digits: Splits, fast: Callable[..., dict[str, Any]]
) -> None:
    params = fast(units=8, activation="sigmoid", optimizer="sgd", lr=0.5, epochs=2)
    w = fit({**params, "init": "zeros"}, digits).model.fc1.weight
    assert torch.count_nonzero(w) > 0  # training did move the weights ...
    assert torch.allclose(w, w[0].expand_as(w))  # ... but every hidden unit moved the same way
    w = fit({**params, "init": "he_normal"}, digits).model.fc1.weight
    assert not torch.allclose(w, w[0].expand_as(w))


@pytest.mark.parametrize(
    ("name", "cls", "checks"),
    [
        ("sgd", torch.optim.SGD, {"momentum": 0.0, "nesterov": False, "lr": 0.01}),
        ("momentum", torch.optim.SGD, {"momentum": 0.9, "nesterov": False}),
        ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ("adagrad", torch.optim.Adagrad, {"eps": 1e-8}),
        ("rmsprop", torch.optim.RMSprop, {"alpha": 0.99}),
        ("adam", torch.optim.Adam, {"betas": (0.9, 0.999), "eps": 1e-8, "lr": 1e-3}),
        ("adamw", torch.optim.AdamW, {"betas": (0.9, 0.999)}),
    ],
)
def test_optimizers_and_their_defaults(name: str, cls: type, checks: dict[str, Any]) -> None:
    opt = build_optimizer(build_model({"layers": 1, "units": 4}, (3,), 2), {"optimizer": name})
    assert type(opt) is cls
    for key, value in checks.items():
        assert all(group[key] == value for group in opt.param_groups), key


def test_given_hyperparameters_win() -> None:
    model = build_model({"layers": 1, "units": 4}, (3,), 2)
    opt = build_optimizer(model, {"optimizer": "rmsprop", "lr": 0.3, "rho": 0.9})
    assert {(g["lr"], g["alpha"]) for g in opt.param_groups} == {(0.3, 0.9)}
    opt = build_optimizer(model, {"optimizer": "adam", "beta1": 0.8, "beta2": 0.99, "eps": 1e-6})
    assert {(g["betas"], g["eps"]) for g in opt.param_groups} == {((0.8, 0.99), 1e-6)}
    with pytest.raises(ConfigError) as err:
        build_optimizer(model, {"optimizer": "lbfgs"})
    assert err.value.field == "optimizer" and "sgd" in str(err.value)


def test_frozen_backbone_and_backbone_lr_multiplier() -> None:
    model = build_model({"layers": 2, "units": 4}, (3,), 2)
    opt = build_optimizer(model, {"optimizer": "sgd", "lr": 0.1, "backbone_lr_mult": 0.1})
    lrs = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    assert lrs[id(model.head.weight)] == pytest.approx(0.1)
    assert lrs[id(model.fc1.weight)] == pytest.approx(0.01)
    opt = build_optimizer(model, {"optimizer": "sgd", "freeze_backbone": True})
    trained = {id(p) for g in opt.param_groups for p in g["params"]}
    assert trained == {id(model.head.weight), id(model.head.bias)}
    assert not model.fc1.weight.requires_grad


def one_step(params: dict[str, Any], w0: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """The weight after one optimizer step whose data-loss gradient is ``g``."""
    model = nn.Sequential(OrderedDict(head=nn.Linear(w0.shape[1], w0.shape[0], bias=False)))
    with torch.no_grad():
        model.head.weight.copy_(w0)
    opt = build_optimizer(model, params)
    (model.head.weight * g).sum().backward()
    decoupled_step(opt)
    opt.step()
    return model.head.weight.detach()


def test_coupled_and_decoupled_weight_decay_follow_their_formulas() -> None:
    w = torch.tensor([[1.0, -2.0, 0.5]])
    g = torch.tensor([[0.3, 0.1, -0.2]])
    lr, lam, eps = 0.1, 0.5, 1e-8
    # SGD: both modes are theta <- (1 - lr*lambda) theta - lr*grad.
    expected = (1 - lr * lam) * w - lr * g
    for mode in ("coupled", "decoupled"):
        sgd = {"optimizer": "sgd", "lr": lr, "weight_decay": lam, "weight_decay_mode": mode}
        assert torch.allclose(one_step(sgd, w, g), expected)
    # Adam's first step moves by lr * m/(sqrt(v)+eps) with m = v**0.5 = the gradient it sees.
    adam = {"optimizer": "adam", "lr": lr, "weight_decay": lam}
    seen = g + lam * w  # coupled: decay joins the gradient and is normalized with it
    assert torch.allclose(one_step({**adam, "weight_decay_mode": "coupled"}, w, g), w - lr * seen / (seen.abs() + eps))
    decoupled = (1 - lr * lam) * w - lr * g / (g.abs() + eps)
    assert torch.allclose(one_step({**adam, "weight_decay_mode": "decoupled"}, w, g), decoupled)
    assert torch.allclose(one_step({**adam, "optimizer": "adamw"}, w, g), decoupled)
    assert not torch.allclose(decoupled, w - lr * seen / (seen.abs() + eps))


def test_weight_decay_skips_biases_and_bad_mode_is_rejected() -> None:
    model = build_model({"layers": 1, "units": 4}, (3,), 2)
    opt = build_optimizer(model, {"optimizer": "sgd", "weight_decay": 0.1})
    decays = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert decays[id(model.fc1.weight)] == 0.1 and decays[id(model.fc1.bias)] == 0.0
    with pytest.raises(ConfigError, match="weight_decay_mode"):
        build_optimizer(model, {"optimizer": "adamw", "weight_decay_mode": "coupled"})


def test_l1_penalty_and_its_shrinking_effect(digits: Splits, fast: Callable[..., dict[str, Any]]) -> None:
    model = build_model({"layers": 1, "units": 4}, (3,), 2)
    expected = 0.5 * (model.fc1.weight.abs().sum() + model.head.weight.abs().sum())
    assert torch.allclose(l1_penalty(model, 0.5), expected)
    assert l1_penalty(model, 0.0) is None
    plain = fit(fast(), digits).model
    sparse = fit(fast(l1=1e-3), digits).model
    assert sparse.fc1.weight.abs().sum() < 0.8 * plain.fc1.weight.abs().sum()


def lrs_per_epoch(params: dict[str, Any], epochs: int, losses: list[float] | None = None) -> list[float]:
    """The learning rate each epoch trains at, stepping the schedule once per epoch."""
    opt = torch.optim.SGD([{"params": [nn.Parameter(torch.zeros(1))], "lr_mult": 1.0, "decay": False}], lr=1.0)
    schedule = LrSchedule(opt, params, epochs)
    out = []
    for epoch in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step(losses[epoch] if losses else 1.0)
    return out


def test_step_and_exponential_schedules_give_the_expected_rates() -> None:
    step = lrs_per_epoch({"lr_schedule": "step", "lr_step_epochs": 2, "lr_gamma": 0.5}, 6)
    assert step == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.25])
    expo = lrs_per_epoch({"lr_schedule": "exponential", "lr_gamma": 0.8}, 5)
    assert expo == pytest.approx([0.8**k for k in range(5)])
    default_expo = lrs_per_epoch({"lr_schedule": "exponential"}, 9)
    assert default_expo[8] == pytest.approx(0.1)  # the notes' pace: x0.1 after 8 epochs
    assert lrs_per_epoch({"lr_schedule": "constant"}, 3) == [1.0, 1.0, 1.0]


def test_warmup_then_cosine() -> None:
    lrs = lrs_per_epoch({"lr_schedule": "cosine", "warmup_epochs": 3}, 8)
    assert lrs[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lrs[4:] == pytest.approx([0.5 * (1 + math.cos(math.pi * k / 5)) for k in range(1, 5)])
    warm_step = lrs_per_epoch({"lr_schedule": "step", "lr_step_epochs": 2, "warmup_epochs": 1}, 5)
    assert warm_step == pytest.approx([0.5, 1, 1, 0.1, 0.1])


def test_plateau_lowers_the_rate_only_after_a_stall() -> None:
    falling = lrs_per_epoch({"lr_schedule": "plateau", "lr_patience": 1, "lr_factor": 0.5}, 5, [5, 4, 3, 2, 1])
    assert falling == [1.0] * 5
    stalled = lrs_per_epoch({"lr_schedule": "plateau", "lr_patience": 1, "lr_factor": 0.5}, 5, [5, 5, 5, 5, 5])
    assert stalled == pytest.approx([1, 1, 1, 0.5, 0.5])


def test_plateau_inside_fit_reacts_to_a_stalled_validation_loss(
    digits: Splits, fast: Callable[..., dict[str, Any]]
) -> None:
    # A vanishing learning rate cannot improve the validation loss, so the schedule must cut it.
    params = fast(optimizer="sgd", lr=1e-6, epochs=4, lr_schedule="plateau", lr_patience=1, lr_factor=0.1)
    lrs = [r["lr"] for r in fit(params, digits).history]
    assert lrs == pytest.approx([1e-6, 1e-6, 1e-6, 1e-7])


def test_unknown_schedule_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="lr_schedule"):
        lrs_per_epoch({"lr_schedule": "triangle"}, 2)


@pytest.mark.parametrize(("params", "field"), [({"optimizer": "adam", "beta1": 1.0}, "beta1"),
                                               ({"optimizer": "adamw", "beta2": 1.5}, "beta2"),
                                               ({"optimizer": "rmsprop", "rho": 2}, "rho"),
                                               ({"optimizer": "momentum", "momentum": 1.0}, "momentum"),
                                               ({"lr_schedule": "plateau", "lr_factor": 1.5}, "lr_factor")])
def test_a_decay_rate_of_one_or_more_is_refused_naming_it(params: dict[str, Any], field: str) -> None:
    """At 1 Adam's bias correction divides by zero; above it every moment grows without bound."""
    with pytest.raises(ConfigError, match=f"^{field}: must be a number in \\[0, 1\\), got "):
        LrSchedule(build_optimizer(nn.Linear(2, 2), params), params, 3)
