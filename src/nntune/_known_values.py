"""A value known before a trial asks for it (enqueued, fixed, given, a grid's point) as the
answer to a ``suggest_*`` of a distribution, by Optuna's rule. Below the trial and the
samplers, which both check such values."""

from __future__ import annotations

import math
import warnings
from typing import Any

from nntune.space import Choice, Distribution, Int


def known_value(name: str, dist: Distribution, value: Any, source: str, stacklevel: int = 4) -> Any:
    """A value known before the trial asks for it (enqueued, fixed, given) as the answer to a
    ``suggest_*`` of ``dist``, by Optuna's rule: a choice that is not among the choices
    raises ValueError; an integer parameter takes the value's integer part; a number outside
    the range is returned with a warning (a range may change between searches)."""
    if isinstance(dist, Choice):
        if not dist.contains(value):
            raise ValueError(f"{name}: the {source} value {value!r} is not among the choices {list(dist.values)!r}")
        return value
    if isinstance(dist, Int) and isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if not _inside(dist, value):
        warnings.warn(f"{name}: the {source} value {value!r} is outside {_described(dist)}", UserWarning,
                      stacklevel=stacklevel)
    return value


def _inside(dist: Distribution, value: Any) -> bool:
    if isinstance(dist, Choice):
        return dist.contains(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return dist.low <= value <= dist.high


def _described(dist: Distribution) -> str:
    if isinstance(dist, Choice):
        return f"the choices {list(dist.values)!r}"
    return f"[{dist.low:g}, {dist.high:g}]"
