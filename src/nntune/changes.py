"""Which hyperparameters may change while a model trains, and whether a new value is sound.

Plain functions over plain values (no torch): the study checks a change with them before
writing it, so a refused change writes nothing. ``train/live.py`` applies accepted ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.space import Distribution

SCHEDULES = ("constant", "step", "exponential", "plateau", "cosine")  # train/optim.py's, checked by a test
STOP = "stop"  # a change of this name ends the trial at the next epoch boundary, pruned by the user
# A trial's system attribute, set by the built-in trainer where the model it built has no
# Dropout layer and gains none (a model of the user's own without one, an mlp without hidden
# layers): a new ``dropout`` would be taken and change nothing.
NO_DROPOUT = "no_dropout"

# name -> (kind, low, high, low inclusive, high inclusive)
_FLOATS: dict[str, tuple[float, float, bool, bool]] = {
    "lr": (0.0, float("inf"), False, False),
    "momentum": (0.0, 1.0, True, False),
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, True, False),
    "rho": (0.0, 1.0, True, False),
    "eps": (0.0, float("inf"), False, False),
    "weight_decay": (0.0, float("inf"), True, False),
    "l1": (0.0, float("inf"), True, False),
    "dropout": (0.0, 1.0, True, False),
    "grad_clip": (0.0, float("inf"), True, False),
    "min_delta": (0.0, float("inf"), True, False),
    "lr_gamma": (0.0, 1.0, False, True),
    "lr_factor": (0.0, 1.0, False, True),
    "lr_min": (0.0, float("inf"), True, False),
}
_INTS: dict[str, int] = {"epochs": 1, "patience": 1, "lr_step_epochs": 1, "lr_patience": 0, "warmup_epochs": 0}
_BOOLS = ("early_stopping",)
CHANGEABLE = frozenset({*_FLOATS, *_INTS, *_BOOLS, "lr_schedule"})


def check_change(name: str, value: Any, dist: Distribution | None = None, known: Collection[str] = ()) -> Any:
    """``value`` as the trainer will take it, or ConfigError(name, problem): a structural
    parameter (one of the trainer's, or of ``known``: the trial's own names), a name no
    one knows (a typo: learning_rate), a value of the wrong kind, or one outside ``dist``
    (the trial's declared range for ``name``) or outside what the trainer accepts. A numpy
    scalar (np.float32 from an array) is taken as the Python value it holds."""
    if isinstance(value, np.generic):
        value = value.item()
    if name not in CHANGEABLE:
        from nntune.config import is_hyperparameter  # read for the message only

        changeable = ", ".join(sorted(CHANGEABLE))
        if name in known or is_hyperparameter(name):
            raise ConfigError(name, "cannot change while a model trains (it shapes the model, the data or the "
                                    f"optimizer's kind); changeable: {changeable}")
        raise ConfigError(name, f"unknown hyperparameter; changeable: {changeable}")
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise ConfigError(name, f"must be true or false, got {value!r}")
    elif name == "lr_schedule":
        if value not in SCHEDULES:
            raise ConfigError(name, f"unknown {value!r}; choose from {', '.join(SCHEDULES)}")
    elif name in _INTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < _INTS[name]:
            raise ConfigError(name, f"must be an integer >= {_INTS[name]}, got {value!r}")
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(name, f"must be a number, got {value!r}")
        value = float(value)
        low, high, low_in, high_in = _FLOATS[name]
        if not ((value >= low if low_in else value > low) and (value <= high if high_in else value < high)):
            raise ConfigError(name, f"must be in {'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}, "
                                    f"got {value!r}")
    if dist is not None and not dist.contains(value):
        raise ConfigError(name, f"{value!r} is outside the trial's declared range, {range_words(dist)}")
    return value


def range_words(dist: Distribution) -> str:
    """A range as a one-line error says it: ``[0.0001, 1] on a log scale``, ``one of sgd,
    adam``; not the Python repr ``Float(low=0.0001, high=1.0, log=True, step=None)``."""
    values = getattr(dist, "values", None)
    if values is not None:
        return "one of " + ", ".join(str(v) for v in values)
    low, high = getattr(dist, "low", None), getattr(dist, "high", None)
    if low is None or high is None:
        return repr(dist)
    words = f"[{low:g}, {high:g}]"
    if getattr(dist, "log", False):
        words += " on a log scale"
    step = getattr(dist, "step", None)
    if step is not None and not (step == 1 and isinstance(low, int)):  # an int's step of 1 goes without saying
        words += f" in steps of {step:g}"
    return words


def check_changes(changes: Mapping[str, Any], distributions: Mapping[str, Distribution],
                  known: Collection[str] = ()) -> dict[str, Any]:
    """Every change checked (the first bad one raises), in the order given; ``known``: the
    trial's own parameter names (see :func:`check_change`)."""
    if not changes:
        raise ConfigError("changes", "name at least one NAME=VALUE")
    return {name: check_change(name, value, distributions.get(name), known) for name, value in changes.items()}


# The optimizer settings each of the built-in trainer's optimizers reads (train/optim.py's
# apply_hyperparams): a change of another one would be taken and do nothing.
OPTIMIZER_SETTINGS: dict[str, frozenset[str]] = {
    "sgd": frozenset(), "momentum": frozenset({"momentum"}), "nesterov": frozenset({"momentum"}),
    "adagrad": frozenset({"eps"}), "rmsprop": frozenset({"rho", "eps"}),
    "adam": frozenset({"beta1", "beta2", "eps"}), "adamw": frozenset({"beta1", "beta2", "eps"}),
}
_SETTINGS = frozenset().union(*OPTIMIZER_SETTINGS.values())


def check_for_optimizer(changes: Mapping[str, Any], optimizer: Any) -> None:
    """Refuse (ConfigError naming the parameter) a change the built-in trainer's
    ``optimizer`` would not read (momentum for adam), or could not train with (nesterov
    without momentum): taken at an epoch boundary, it would do nothing, or fail the trial."""
    reads = OPTIMIZER_SETTINGS.get(optimizer)
    if reads is None:  # a name the trainer does not know: refused where the trial was built
        return
    for name, value in changes.items():
        if name in _SETTINGS and name not in reads:
            has = f"its settings: {', '.join(sorted(reads))}" if reads else "it has none of momentum, betas or eps"
            raise ConfigError(name, f"the trial trains with optimizer {optimizer}, which does not use {name} ({has})")
        if name == "momentum" and optimizer == "nesterov" and value == 0:
            raise ConfigError(name, "nesterov needs momentum > 0")


# The settings read under one learning-rate schedule or with early stopping only (train/
# schedules.py, train/epochs.py; unread_settings.READ_BY says the same of a config), and what
# the trainer takes where a trial gives neither (train/basics.LOOP_DEFAULTS, checked by a test).
READ_UNDER: dict[str, tuple[str, tuple[Any, ...]]] = {
    "lr_gamma": ("lr_schedule", ("step", "exponential")), "lr_step_epochs": ("lr_schedule", ("step",)),
    "lr_factor": ("lr_schedule", ("plateau",)), "lr_patience": ("lr_schedule", ("plateau",)),
    "lr_min": ("lr_schedule", ("plateau", "cosine")),
    "patience": ("early_stopping", (True,)), "min_delta": ("early_stopping", (True,)),
}
DECIDER_DEFAULTS: dict[str, Any] = {"lr_schedule": "constant", "early_stopping": False}


def check_for_schedule(changes: Mapping[str, Any], current: Callable[[str], Any]) -> None:
    """Refuse (ConfigError naming the parameter) a change of a setting that the schedule or
    early stopping the trial will train with does not read (``lr_min`` under a constant
    rate, ``patience`` without early stopping): taken at an epoch boundary, it would do
    nothing. ``current(decider)``: the trial's value of ``lr_schedule`` or
    ``early_stopping`` (its latest change, else what it trains with; None: the default);
    one changed with it in ``changes`` counts instead."""
    for name in changes:
        if name not in READ_UNDER:
            continue
        decider, readers = READ_UNDER[name]
        value = changes[decider] if decider in changes else current(decider)
        value = DECIDER_DEFAULTS[decider] if value is None else value
        if value not in readers:
            said = " or ".join(str(r).lower() for r in readers)
            raise ConfigError(name, f"the trial trains with {decider} {str(value).lower()}, which does not read "
                                    f"{name} (read with {decider} {said}); change {decider} with it")


def check_for_model(changes: Mapping[str, Any], model: Any) -> None:
    """Refuse (ConfigError on ``dropout``) a new dropout rate for ``model`` (its name), which
    the built-in trainer built with no Dropout layer for the rate to act on."""
    if "dropout" not in changes:
        return
    if isinstance(model, str) and ":" in model:  # the user's own
        raise ConfigError("dropout", f"the trial's model {model} has no Dropout layer, so a new rate would "
                                     "change nothing (give the model nn.Dropout layers to change their rate)")
    raise ConfigError("dropout", f"the trial's {model} has no hidden layer for dropout to follow, so a new "
                                 "rate would change nothing")


def fold(params: Mapping[str, Any], changes: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``params`` with ``(name, new value)`` changes applied in order (a stop is no parameter)."""
    out = dict(params)
    for name, value in changes:
        if name != STOP:
            out[name] = value
    return out


def parse_value(name: str, text: str) -> Any:
    """A value typed by a person: a number where it reads as one (3e-4 too, which YAML 1.1
    keeps as text), else YAML (true, [1, 2], adam)."""
    import yaml

    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(name, f"cannot read value {text!r}") from None
