"""A value known before a trial asks for it (enqueued, fixed, given, a grid's point) as the
answer to a ``suggest_*`` of a distribution, by Optuna's rule. Below the trial and the
samplers, which both check such values."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from nntune._distribution_extras import steps_in
from nntune.space import Choice, Distribution, Int


def known_value(name: str, dist: Distribution, value: Any, source: str, stacklevel: int = 4) -> Any:
    """A value known before the trial asks for it (enqueued, fixed, given) as the answer to a
    ``suggest_*`` of ``dist``, by Optuna's rule: a choice that is not among the choices
    raises ValueError; a number written as a string ("1e-3", from a CSV or a command line)
    is read as the number, and one that is no number (NaN among them, and infinity for an
    integer parameter) raises ValueError; an integer parameter
    takes the value's integer part; a number outside the range or off its grid (3.5 for an
    integer, 0.33 for a step of 0.1) is returned with a warning (a range may change between
    searches)."""
    value, problem = checked_value(name, dist, value, source)
    if problem:
        warnings.warn(problem, UserWarning, stacklevel=stacklevel)
    return value


def checked_value(name: str, dist: Distribution, value: Any, source: str) -> tuple[Any, str | None]:
    """:func:`known_value`'s answer and the warning it would give (None when the value
    fits), without giving it; its ValueErrors are raised."""
    if isinstance(dist, Choice):
        if not dist.contains(value):
            raise ValueError(f"{name}: the {source} value {value!r} is not among the choices {list(dist.values)!r}")
        return value, None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name}: the {source} value {value!r} is not a number") from None
    if not isinstance(value, (bool, int, float, np.integer, np.floating)):
        # None, a list, a dict: no number at all, so no suggest_* could return it (it was a
        # bare "float() argument must be ..." TypeError from the caller's conversion).
        raise ValueError(f"{name}: the {source} value {value!r} is not a number")
    if math.isnan(value) or isinstance(dist, Int) and math.isinf(value):
        # As Optuna's to_internal_repr refuses NaN: no suggest_* could draw it, and an
        # integer parameter has no infinite value (int() of it was a bare OverflowError).
        raise ValueError(f"{name}: the {source} value {value!r} is not a number this parameter can take")
    problem = _problem(dist, value)
    said = f"{name}: the {source} value {value!r} {problem}" if problem else None
    if isinstance(dist, Int) and isinstance(value, float) and math.isfinite(value):
        value = int(value)
    return value, said


def _problem(dist: Distribution, value: Any) -> str:
    """Why ``value`` is not a value of the numeric ``dist`` (checked before an integer
    parameter truncates it, so 3.5 is reported), or '' when it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"is not a finite number in [{dist.low:g}, {dist.high:g}]"
    if not dist.low <= value <= dist.high:
        return f"is outside [{dist.low:g}, {dist.high:g}]"
    step = getattr(dist, "step", None)
    if isinstance(dist, Int) and not float(value).is_integer():
        return f"is not an integer; {int(value)} is used"
    if step is not None and not steps_in(dist.low, value, step)[1]:
        return f"is off the grid {dist.low:g}, {dist.low + step:g}, ... of step {step:g}"
    return ""
