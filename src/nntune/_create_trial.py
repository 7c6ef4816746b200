"""``create_trial``: a trial made as data (Optuna's ``optuna.trial.create_trial``), for
``Study.add_trial``. Re-exported by :mod:`nntune.trial`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from nntune._distribution_extras import plain
from nntune.space import Choice, Distribution, Int
from nntune.trial import CONSTRAINTS_KEY, FrozenTrial, TrialState, constraint_attr


def create_trial(*, state: TrialState = TrialState.COMPLETE, value: float | None = None,
                 values: Sequence[float] | None = None, params: Mapping[str, Any] | None = None,
                 distributions: Mapping[str, Distribution] | None = None,
                 user_attrs: Mapping[str, Any] | None = None, system_attrs: Mapping[str, Any] | None = None,
                 intermediate_values: Mapping[int, float] | None = None,
                 constraints: Mapping[str, float] | Sequence[float] | None = None) -> FrozenTrial:
    """A trial as data, finished, waiting or running, for ``Study.add_trial`` (Optuna's
    ``create_trial``); its number (-1 here) is given when it is added."""
    if value is not None and values is not None:
        raise ValueError("give value or values, not both")
    state = TrialState(state)
    params, distributions = dict(params or {}), dict(distributions or {})
    if set(params) != set(distributions):
        raise ValueError(f"params and distributions name different parameters: "
                         f"{sorted(params)} vs {sorted(distributions)}")
    params = {name: _checked(name, v, distributions[name]) for name, v in params.items()}
    vals = None if values is None else [float(v) for v in values]
    if value is not None:
        vals = [float(value)]
    if state == TrialState.COMPLETE and vals is None:
        raise ValueError("a complete trial needs its value")
    # As Optuna's: NaN is no result, and a failed trial has none.
    if vals is not None and any(math.isnan(v) for v in vals):
        raise ValueError(f"values must not be NaN, got {vals}")
    if vals is not None and state == TrialState.FAILED:
        raise ValueError(f"a failed trial has no value, got {vals}")
    sys_attrs = dict(system_attrs or {})
    if vals is not None and len(vals) > 1:
        sys_attrs["values"] = vals
    if isinstance(constraints, Mapping):  # Optuna 5: by key
        sys_attrs.update(constraint_attr(str(k), v) for k, v in constraints.items())
    elif constraints is not None:
        sys_attrs[CONSTRAINTS_KEY] = [float(c) for c in constraints]
    # As Optuna's: a running trial has started (now), a finished one has also ended.
    now = None if state == TrialState.WAITING else datetime.now(timezone.utc).replace(tzinfo=None)
    return FrozenTrial(number=-1, state=state, params=params, distributions=distributions,
                       value=None if vals is None else vals[0],
                       intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
                       user_attrs=dict(user_attrs or {}), system_attrs=sys_attrs,
                       datetime_start=now, datetime_complete=now if state.is_finished() else None)


def _checked(name: str, value: Any, dist: Distribution) -> Any:
    """``value`` as the trial keeps it, checked as Optuna's ``create_trial`` checks it: a
    number inside the range and on the grid of its step (an integer parameter may be written
    2.0, as a CSV or JSON gives it), or one of the choices; else ValueError."""
    value = plain(value)  # a NumPy number is the number it holds
    if isinstance(dist, Choice):
        if not dist.contains(value):
            raise ValueError(f"{name}: {value!r} is not among the choices {list(dist.values)!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not dist._contains(float(value)):
        raise ValueError(f"{name}: {value!r} is outside its distribution {dist!r} (its range, or the grid of its step)")
    return int(value) if isinstance(dist, Int) else float(value)


__all__ = ["create_trial"]
