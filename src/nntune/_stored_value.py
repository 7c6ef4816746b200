"""A known value (a grid's point, an enqueued value) in the form a trial stores for its
distribution, as Optuna stores it: an integer parameter holds an ``int``, a float parameter a
``float`` (``1`` and ``True`` become ``1.0``, ``"0.5"`` becomes ``0.5``), a choice the choice
it equals (``1`` among ``[1.0, 2.0]`` is ``1.0``: Optuna keeps its index). Silent: whether the
value fits is :func:`nntune._known_values.known_value`'s to say."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nntune.space import Choice, Distribution, Float, Int


def as_stored(dist: Distribution | None, value: Any) -> Any:
    """``value`` as a trial of ``dist`` stores it; a value that is no number is returned as
    it is (it is refused where it is checked, not here)."""
    if isinstance(dist, Choice):
        try:
            return dist.values[dist.index(value)]
        except ValueError:
            return value
    if not isinstance(dist, (Float, Int)):
        return value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if not isinstance(value, (bool, int, float, np.integer, np.floating)):
        return value
    if isinstance(dist, Int):
        # int() of a float keeps its integer part, as Optuna's int(float(value)) does.
        return int(value) if math.isfinite(float(value)) else value
    return float(value)
