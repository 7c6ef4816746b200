"""The optimization settings a trial's params may hold: the names of the initializers,
optimizers and schedules, their defaults, and each value read and checked (a ConfigError
naming the key). :mod:`nntune.train.optim` and :mod:`nntune.train.schedules` read their
settings through these; ``optim`` re-exports them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from nntune.exceptions import ConfigError

INITS = ("default", "zeros", "normal", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "uniform_inv_n2")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "step", "exponential", "plateau", "cosine")
SGD_LIKE = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop")

OPTIM_DEFAULTS: dict[str, Any] = {
    "init": "default",
    "init_std": 0.01,
    "optimizer": "adam",
    "momentum": 0.9,
    "rho": 0.99,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "weight_decay": 0.0,
    "l1": 0.0,
    "lr_schedule": "constant",
    "lr_step_epochs": 8,
    "lr_patience": 5,
    "lr_factor": 0.1,
    "lr_min": 0.0,
    "warmup_epochs": 0,
}


def pick(params: Mapping[str, Any], key: str, options: Iterable[str]) -> str:
    options = tuple(options)
    value = params.get(key, OPTIM_DEFAULTS.get(key))
    if value not in options:
        raise ConfigError(key, f"unknown {value!r}; choose from {', '.join(options)}")
    return str(value)


def number(params: Mapping[str, Any], key: str, default: float, *, low: float = 0.0) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < low:
        raise ConfigError(key, f"must be a number >= {low:g}, got {value!r}")
    return float(value)


def fraction(params: Mapping[str, Any], key: str, default: float) -> float:
    """``params[key]`` in [0, 1) (a decay rate: momentum, rho, the betas, a plateau's factor),
    or a ConfigError naming it: at 1 or above the optimizer divides by zero or diverges."""
    value = number(params, key, default)
    if value >= 1.0:
        raise ConfigError(key, f"must be a number in [0, 1), got {params.get(key, default)!r}")
    return value


def default_lr(optimizer: str) -> float:
    """1e-3 for the Adam family, 0.01 for SGD-like optimizers."""
    return 1e-3 if optimizer in ("adam", "adamw") else 0.01
