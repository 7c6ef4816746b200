"""Checks of a sampler's options where it is built: a bad value is one line naming the
option (``ConfigError``), never a traceback at the first trial that reads it, nor an
option quietly taken as something else (a string read as ``True``, a negative count)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError


def check_count(name: str, value: Any, least: int) -> int:
    """``value`` as an integer ``>= least`` (a bool is not a count)."""
    if isinstance(value, bool):
        raise ConfigError(name, f"must be an integer >= {least}, got {value!r}")
    try:
        number = operator.index(value)  # Python's and numpy's integers, not 2.5 or "3"
    except TypeError:
        raise ConfigError(name, f"must be an integer >= {least}, got {value!r}") from None
    if number < least:
        raise ConfigError(name, f"must be an integer >= {least}, got {value!r}")
    return number


def check_flag(name: str, value: Any) -> bool:
    """``value`` as a switch: True or False only (``"no"`` would be true to Python)."""
    if not isinstance(value, (bool, np.bool_)):  # numpy's bool is not Python's
        raise ConfigError(name, f"must be true or false, got {value!r}")
    return bool(value)


def check_positive(name: str, value: Any) -> float:
    """``value`` as a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ConfigError(name, f"must be a number > 0, got {value!r}")
    return float(value)


def check_non_negative(name: str, value: Any) -> float:
    """``value`` as a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ConfigError(name, f"must be a number >= 0, got {value!r}")
    return float(value)


def check_gamma(value: Any) -> Any:
    """TPE's good share: a function of the number of trials (Optuna's form), or a fraction
    in (0, 1] of them."""
    if callable(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError("gamma", f"must be a function of the number of trials or a fraction in (0, 1], "
                                   f"got {value!r}")
    return float(value)


def check_callable(name: str, value: Any) -> Any:
    """``value``: a function, or None (a config's string would fail only when first called)."""
    if value is not None and not callable(value):
        raise ConfigError(name, f"must be a function or None, got {value!r}")
    return value


def check_study_sampler(sampler: Any) -> Any:
    """``sampler`` unless it is one of Optuna's own (``optuna.samplers.TPESampler()``, or a
    subclass of one): those read Optuna's study internals (``study._is_multi_objective``)
    and Optuna's distribution classes, so the first trial would end in a traceback from
    inside Optuna. A sampler written on Optuna's ``BaseSampler`` alone is asked through
    Optuna's methods and stays welcome."""
    for cls in type(sampler).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if (module == "optuna" or module.startswith("optuna.")) and cls.__name__ not in ("BaseSampler", "object"):
            import nntune.samplers as own

            name = cls.__name__
            instead = f"nntune.samplers.{name} (the same arguments)" if hasattr(own, name) else \
                "one of nntune.samplers"
            raise ConfigError("sampler", f"optuna.samplers.{name} works on Optuna's own study, not nntune's; "
                                         f"use {instead}")
    for wrapped in ("base_sampler", "base"):  # PartialFixedSampler's base, PriorSampler's
        inner = vars(sampler).get(wrapped) if hasattr(sampler, "__dict__") else None
        if inner is not None:
            check_study_sampler(inner)
    return sampler
