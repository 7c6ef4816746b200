"""What a distribution of :mod:`nntune.space` needs beside its own scale: the grid of a
stepped range (a ``high`` off the grid is moved onto it, as Optuna does), the methods a
sampler written for Optuna calls on a distribution, and NumPy numbers read as Python's.
Kept apart so ``space`` stays about the scales."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal
from typing import Any

import numpy as np


# How far (in steps) a float range may miss a whole number of steps and still count as
# one: 0.3 / 0.1 is 2.9999999999999996, and a range narrowed onto the grid by a sampler
# carries such rounding too.
_GRID_TOLERANCE = 1e-9


def plain(value: Any) -> Any:
    """A NumPy scalar (``np.float32(0.1)``, ``np.int64(3)``, ``np.bool_(True)``), or an array
    or tensor of no dimensions (``torch.tensor(0.1)``, ``x.std()``), as the Python value it
    holds, as Optuna takes them: bounds and choices read from an array are numbers like any
    other, and are stored as JSON."""
    if isinstance(value, np.generic) or (getattr(value, "ndim", None) == 0 and hasattr(value, "item")):
        return value.item()
    return value


def steps_in(low: float, high: float, step: float) -> tuple[int, bool]:
    """The whole steps from low that stay within high, and whether high is the last of
    them (up to float rounding; integers are exact)."""
    if isinstance(low, int) and isinstance(high, int) and isinstance(step, int):
        k, rest = divmod(high - low, step)
        return k, rest == 0
    r = (high - low) / step
    if abs(r - round(r)) <= _GRID_TOLERANCE * max(1.0, abs(r)):
        return round(r), True
    return math.floor(r), False


def on_grid_high(low: Any, high: Any, step: Any) -> Any:
    """``high`` moved down onto the grid ``low + k * step``, as Optuna does, with a warning
    when it moves: a value past the last step could never be drawn (Int), or would be drawn
    off the grid (Float)."""
    k, exact = steps_in(low, high, step)
    if exact:
        return high  # kept as written: 0.3 stays 0.3, not 0.1 * 3
    if isinstance(low, int) and isinstance(step, int) and isinstance(high, int):
        snapped: Any = low + k * step
    else:
        snapped = float(Decimal(str(low)) + k * Decimal(str(step)))  # 0.1 + 2 * 0.2 is 0.5, not 0.5000000000000001
    warnings.warn(f"high: {high!r} is not low ({low!r}) plus a whole number of steps ({step!r}); "
                  f"the range ends at {snapped!r} instead", UserWarning, stacklevel=4)
    return snapped



class OptunaRepr:
    """Optuna's methods on a distribution, for samplers written for Optuna: ``single()``
    (one value only), and the float a sampler works in (``to_internal_repr``: the number,
    or a choice's index) and back (``to_external_repr``)."""

    def single(self) -> bool:
        if hasattr(self, "values"):  # a choice
            return len(self.values) == 1
        if hasattr(self, "n_values"):  # an integer range
            return self.n_values == 1
        low, high, step = self.low, self.high, getattr(self, "step", None)  # type: ignore[attr-defined]
        return low == high or (step is not None and high - low < step)

    def to_internal_repr(self, value: Any) -> float:
        return float(self.index(value)) if hasattr(self, "values") else float(value)  # type: ignore[attr-defined]

    def _contains(self, internal: float) -> bool:
        """Whether a sampler's float (a choice's index) stands for a value of this
        distribution, on its grid where it has a step, as Optuna's samplers check it."""
        x = float(internal)
        if math.isnan(x):
            return False
        if hasattr(self, "values"):
            return x.is_integer() and 0 <= x < len(self.values)  # type: ignore[attr-defined]
        low, high = float(self.low), float(self.high)  # type: ignore[attr-defined]
        step = getattr(self, "step", None)
        if not low <= x <= high:
            return False
        return step is None or abs((x - low) / step - round((x - low) / step)) < 1e-8

    def to_external_repr(self, internal: float) -> Any:
        if hasattr(self, "values"):
            return self.values[int(internal)]  # type: ignore[attr-defined]
        return int(internal) if hasattr(self, "n_values") else float(internal)
