"""What each hyperparameter of the built-in trainer accepts: its type and range.

The config checks every ``fixed:`` value (and every bound or choice of ``space:``) here
before anything is written, so ``fixed.epochs=zero`` stops with one line instead of
failing every trial of a study. Names the table does not hold (augmentation parameters
such as ``rotation.degrees``, and the categorical names the config checks against their
lists of values) pass. No torch here: the config imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nntune.exceptions import ConfigError


@dataclass(frozen=True)
class Rule:
    """``kind`` is ``int``, ``float`` or ``bool``; numbers lie in ``[low, high]`` (``high``
    excluded when ``open_high``); ``words`` are strings accepted besides numbers;
    ``optional``: ``None`` means the trainer's own default."""

    kind: str
    low: float | None = None
    high: float | None = None
    open_high: bool = False
    words: tuple[str, ...] = ()
    optional: bool = False
    each: bool = False  # a list of such values is accepted too (one per layer)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit, in words; ``None`` when it fits."""
        if value is None and self.optional:
            return None
        if isinstance(value, str) and value in self.words:
            return None
        if self.each and isinstance(value, list) and value:
            if any(self.problem(v) is not None for v in value):
                return f"each must be {self.describe()}, got {value!r}"
            return None
        if self.each and isinstance(value, (list, tuple)):  # a tuple from Python, or an empty list
            return f"must be {self.describe()} or a non-empty list of them (one per layer), got {value!r}"
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        number_ok = not isinstance(value, bool) and (
            isinstance(value, int) if self.kind == "int" else isinstance(value, (int, float)))
        if not number_ok or not math.isfinite(value):
            return f"must be {self.describe()}, got {value!r}"
        if (self.low is not None and value < self.low) or (self.high is not None and (
                value >= self.high if self.open_high else value > self.high)):
            return f"must be {self.describe()}, got {value!r}"
        return None

    def describe(self) -> str:
        what = "an integer" if self.kind == "int" else "a number"
        if self.low is not None and self.high is not None:
            opening = "(0" if self.low == TINY else f"[{_num(self.low)}"
            what += f" in {opening}, {_num(self.high)}{')' if self.open_high else ']'}"
        elif self.low == TINY:  # a closed bound standing for "greater than zero"
            what += " > 0"
        elif self.low is not None:
            what += f" >= {_num(self.low)}"
        if self.words:
            what += " or " + " or ".join(repr(w) for w in self.words)
        return what


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _int(low: int) -> Rule:
    return Rule("int", low=low)


def _float(low: float = 0.0, high: float | None = None, *, open_high: bool = False,
           optional: bool = False) -> Rule:
    return Rule("float", low=low, high=high, open_high=open_high, optional=optional)


FLAG = Rule("bool")
TINY = 1e-300  # "greater than zero" for a closed lower bound

TRAINER_SCHEMA: dict[str, Rule] = {
    # the loop
    "epochs": _int(1),
    "batch_size": Rule("int", low=1, words=("full", "auto")),
    "early_stopping": FLAG,
    "patience": _int(0),
    "min_delta": _float(),
    "grad_clip": _float(),
    "amp": FLAG,
    "huber_delta": _float(TINY),
    # the model
    "layers": _int(0),
    "units": Rule("int", low=1, each=True),
    "batchnorm": FLAG,
    "dropout": _float(0.0, 1.0, open_high=True),
    "conv_layers": _int(1),
    "filters": _int(1),
    "filters_growth": Rule("float", low=TINY, words=("auto",)),
    "kernel_size": Rule("int", low=1, each=True),  # one, or one per block
    "stride": Rule("int", low=1, each=True),
    "padding": Rule("int", low=0, words=("same", "valid")),
    "freeze_backbone": FLAG,
    "backbone_lr_mult": _float(),
    # the optimizer and its schedule
    "lr": _float(TINY, optional=True),
    "init_std": _float(TINY),
    "momentum": _float(0.0, 1.0, open_high=True),
    "rho": _float(0.0, 1.0, open_high=True),
    "beta1": _float(0.0, 1.0, open_high=True),
    "beta2": _float(0.0, 1.0, open_high=True),
    "eps": _float(TINY),
    "weight_decay": _float(),
    "l1": _float(),
    "lr_step_epochs": _int(1),
    "lr_patience": _int(0),
    "lr_factor": _float(TINY, 1.0, open_high=True),
    "lr_gamma": _float(TINY, 1.0),
    "lr_min": _float(),
    "warmup_epochs": _int(0),
}


def hyperparameter_problem(name: str, value: Any) -> str | None:
    """Why the trainer cannot take ``value`` for ``name``; ``None`` when it can (or when
    the name is not the trainer's to judge: ``pretrained_weights`` is a file the runner
    looks for, categorical names are checked against their values by the config)."""
    rule = TRAINER_SCHEMA.get(name)
    if rule is None:
        return None
    return rule.problem(value)


def check_hyperparameters(hp: Mapping[str, Any], names: Iterable[str] | None = None) -> None:
    """A ConfigError naming the first of ``names`` (default: all of ``hp``) whose value the
    trainer cannot take: ``fit`` and the stack refuse what a config would refuse."""
    for name in hp if names is None else names:
        problem = hyperparameter_problem(name, hp[name])
        if problem is not None:
            raise ConfigError(name, problem)
