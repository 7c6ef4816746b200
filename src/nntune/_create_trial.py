"""``create_trial``: a trial made as data (Optuna's ``optuna.trial.create_trial``), for
``Study.add_trial``. Re-exported by :mod:`nntune.trial`."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from nntune._distribution_extras import plain
from nntune.distributions import BaseDistribution, own_distribution
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
    for field_name, given in (("params", params), ("distributions", distributions), ("user_attrs", user_attrs),
                              ("system_attrs", system_attrs), ("intermediate_values", intermediate_values)):
        # dict() of a list of pairs would take it, and of anything else say nothing of which field
        if given is not None and not isinstance(given, Mapping):
            raise TypeError(f"{field_name}: must be a dict, got {type(given).__name__} {given!r}")
    state = TrialState(state)
    params = dict(params or {})
    distributions = {name: own_distribution(name, d) for name, d in (distributions or {}).items()}
    if set(params) != set(distributions):
        raise ValueError(f"params and distributions name different parameters: "
                         f"{sorted(params)} vs {sorted(distributions)}")
    params = {name: _checked(name, v, distributions[name]) for name, v in params.items()}
    if isinstance(values, (str, bytes)) or (values is not None and not isinstance(values, Iterable)):
        # A string would be read letter by letter: values="12" as [1.0, 2.0].
        raise TypeError(f"values: must be a list of numbers, one per objective, got {values!r}")
    vals = None if values is None else [_number(f"values[{i}]", v) for i, v in enumerate(values)]
    if vals == []:
        raise ValueError("values: needs one number per objective, got none")
    if value is not None:
        vals = [_number("value", value)]
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
                       intermediate_values={_step(k): _number(f"intermediate_values[{k!r}]", v)
                                            for k, v in (intermediate_values or {}).items()},
                       user_attrs=dict(user_attrs or {}), system_attrs=sys_attrs,
                       datetime_start=now, datetime_complete=now if state.is_finished() else None)


def added_values_problem(t: FrozenTrial, n_objectives: int) -> str | None:
    """Why a finished trial's values do not fit a study of ``n_objectives`` (None when they
    do), by Optuna's ``add_trial`` rule: a complete trial has one value per objective, a failed
    one none, and a pruned one none or one per objective (a study of one objective would
    otherwise hold a trial of two values, which its table and plots read as two objectives)."""
    state, values = TrialState(t.state), t.values
    if not state.is_finished():
        return None  # a running or waiting trial's value is what tell gives it
    if state == TrialState.FAILED and values is not None:
        return f"a failed trial has no value, got {values}"
    if values is None and state != TrialState.COMPLETE:
        return None
    count = len(values or [])
    if count == n_objectives:
        return None
    return (f"a {state.value} trial added to this study needs {n_objectives} "
            f"value{'s' if n_objectives > 1 else ''}, got {count}")


def frozen_problem(t: FrozenTrial) -> str | None:
    """Why a trial record is inconsistent (None when it is not), by Optuna's
    ``FrozenTrial._validate``: its times against its state, its values against its state, and
    its params against their distributions."""
    state = TrialState(t.state)
    if state != TrialState.WAITING and t.datetime_start is None:
        return f"datetime_start: a {state.value} trial has started, got None"
    if state.is_finished() and t.datetime_complete is None:
        return f"datetime_complete: a {state.value} trial has ended, got None"
    if not state.is_finished() and t.datetime_complete is not None:
        return f"datetime_complete: a {state.value} trial has not ended, got {t.datetime_complete}"
    values = t.values
    if state == TrialState.FAILED and values is not None:
        return f"values: a failed trial has none, got {values}"
    if state == TrialState.COMPLETE and values is None:
        return "values: a complete trial needs its values, got None"
    if state == TrialState.COMPLETE and any(math.isnan(v) for v in values or []):
        return f"values: must not be NaN, got {values}"
    if set(t.params) != set(t.distributions):
        return f"params and distributions name different parameters: {sorted(t.params)} vs {sorted(t.distributions)}"
    for name, value in t.params.items():
        try:
            _checked(name, value, own_distribution(name, t.distributions[name]))
        except ValueError as err:
            return str(err)
    return None


def _number(field: str, value: Any) -> float:
    """``value`` as a float (a NumPy or torch scalar, or a numeric string, as Optuna casts
    it); else one line naming ``field``."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: must be a number, got {value!r}") from None


def _step(step: Any) -> int:
    """A step of ``intermediate_values``: an integer >= 0 ("3" from JSON keys too)."""
    try:
        number = int(step)
    except (TypeError, ValueError):
        number = -1
    if isinstance(step, bool) or number < 0 or (isinstance(step, float) and step != number):
        raise ValueError(f"intermediate_values: each step must be an integer >= 0, got {step!r}")
    return number


def as_frozen_trial(trial: Any) -> FrozenTrial:
    """A trial to add to a study, as nntune's record: nntune's as it is (with Optuna's
    distributions made nntune's), or one of Optuna's (``optuna_study.trials``: Optuna's way to
    carry trials over, ``study.add_trials(other.trials)``) read field by field. Optuna's times
    are its process's local time, nntune's UTC: they are moved, so durations and the order of
    trials stay right."""
    if isinstance(trial, FrozenTrial):
        if all(isinstance(d, BaseDistribution) for d in trial.distributions.values()):
            return trial
        return dataclasses.replace(trial, distributions={n: own_distribution(n, d)
                                                         for n, d in trial.distributions.items()})
    if not all(hasattr(trial, a) for a in ("state", "values", "params", "distributions", "intermediate_values")):
        raise TypeError(f"trial: must be a FrozenTrial (nntune.trial.create_trial, or a study's trials), got "
                        f"{type(trial).__name__} {trial!r}"[:300])
    return FrozenTrial(number=int(getattr(trial, "number", -1)), state=TrialState(trial.state), values=trial.values,
                       params=dict(trial.params),
                       distributions={n: own_distribution(n, d) for n, d in trial.distributions.items()},
                       intermediate_values={int(k): float(v) for k, v in trial.intermediate_values.items()},
                       user_attrs=dict(getattr(trial, "user_attrs", {})),
                       system_attrs=dict(getattr(trial, "system_attrs", {})),
                       datetime_start=_utc(getattr(trial, "datetime_start", None)),
                       datetime_complete=_utc(getattr(trial, "datetime_complete", None)))


def _utc(moment: datetime | None) -> datetime | None:
    """A local time without zone (Optuna's ``datetime.now()``), or one with a zone, as UTC
    without zone, as nntune's storages keep times."""
    return None if moment is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


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


__all__ = ["added_values_problem", "create_trial", "frozen_problem"]
