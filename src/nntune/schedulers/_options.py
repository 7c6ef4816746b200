"""Checks of a scheduler's options where it is built: a value of the wrong type is one
line naming the option (``ConfigError``), not Python's ``'<' not supported between
instances of 'int' and 'str'``, and a switch given as ``"no"`` is refused rather than
read as true."""

from __future__ import annotations

import math
import numbers
from typing import Any

from nntune.exceptions import ConfigError
from nntune.samplers._checks import check_count, check_flag

__all__ = ["check_count", "check_flag", "check_number", "is_number"]


def is_number(value: Any) -> bool:
    """A real number that is not a bool (``True < 1`` would otherwise pass as 1)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and not math.isnan(value)


def check_number(name: str, value: Any, low: float, high: float, *, low_open: bool = False,
                 high_open: bool = False) -> float:
    """``value`` as a number in the interval from ``low`` to ``high`` (ends open as asked)."""
    above = is_number(value) and (value > low if low_open else value >= low)
    below = is_number(value) and (value < high if high_open else value <= high)
    if not (above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ConfigError(name, f"must be a number in {interval}, got {value!r}")
    return float(value)
