"""``Study.trials_dataframe``: one row per trial with Optuna's columns, as pandas."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from nntune.exceptions import ConfigError
from nntune.trial import FrozenTrial, TrialState

DATAFRAME_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params",
                   "user_attrs", "system_attrs", "state")
_NESTED = ("params", "distributions", "user_attrs", "system_attrs", "intermediate_values")
# System attributes that are storage bookkeeping, not the trial's: shown as values_0, ...
# (the values) or not at all (the claim number that guards a running trial's writes).
# nntune's own bookkeeping, not in Optuna's frame: the claim, the user attributes a queued
# trial was enqueued with (kept for a re-queue; the trial's own user_attrs show them), the
# distributions of an added waiting trial's parameters (its distributions show them), and a
# failed trial's traceback (the trial's system_attrs keep it; a table after optimize(catch=...)
# would otherwise gain a column of many-line cells that Optuna's has not).
_HIDDEN_SYSTEM = ("values", "claim", "fixed_user_attrs", "fixed_distributions", "traceback")


def objective_values(t: FrozenTrial, n_objectives: int) -> list[float | None]:
    """The trial's value for each of ``n_objectives`` objectives, None where it has none. A
    trial that stored fewer (a multi-objective trial that diverged keeps only its first
    value) has no vector of the study's shape: every objective is None, as for Optuna's
    failed trial."""
    values = t.values
    if values is None or len(values) != n_objectives:
        return [None] * n_objectives
    return list(values)


def trial_row(t: FrozenTrial, attrs: Sequence[str], n_objectives: int,
              metric_names: Sequence[str] | None = None) -> dict[tuple[str, Any], Any]:
    """A trial's columns as (attribute, key) pairs: key "" for plain attributes; the value's
    key is the objective's index, or its name once ``Study.set_metric_names`` gave one."""
    row: dict[tuple[str, Any], Any] = {}
    for attr in attrs:
        if attr in _NESTED:
            for key, v in getattr(t, attr).items():
                if attr == "system_attrs" and key in _HIDDEN_SYSTEM:
                    continue
                # A step stays an int, as Optuna keys it: df[("intermediate_values", 10)].
                row[(attr, key if attr == "intermediate_values" else str(key))] = v
        elif attr in ("value", "values"):
            # As in Optuna: "value" of one objective is one column, value (value_NAME); "values"
            # (and "value" of several objectives) is one column per objective, values_0 or values_NAME.
            values = objective_values(t, n_objectives)
            if attr == "value" and n_objectives == 1:
                row[("value", metric_names[0] if metric_names else "")] = values[0]
            else:
                for i, v in enumerate(values):
                    row[("values", metric_names[i] if metric_names else str(i))] = v
        elif attr == "duration":
            row[(attr, "")] = None if t.duration is None else timedelta(seconds=t.duration)
        elif attr == "state":
            row[(attr, "")] = t.state.name
        elif attr in ("trial_id", "_trial_id"):
            # Optuna's column of "_trial_id" is "trial_id"; the field of that name is None on a
            # trial whose storage numbers trials as the study does, so both read _trial_id.
            row[("trial_id", "")] = t._trial_id
        else:
            row[(attr[1:] if attr.startswith("_") else attr, "")] = getattr(t, attr)
    return row


def check_attrs(attrs: Any) -> tuple[str, ...]:
    """``attrs`` as a tuple of FrozenTrial's field names; a ConfigError for a lone string
    (read letter by letter it would name no field) or a name that is no field."""
    if isinstance(attrs, (str, bytes)) or not isinstance(attrs, Iterable):
        raise ConfigError("attrs", f"must be a tuple of FrozenTrial's field names such as ('number', 'value'), "
                                   f"got {attrs!r}")
    out = tuple(attrs)
    probe = FrozenTrial(number=0, state=TrialState.COMPLETE)
    for attr in out:
        if not isinstance(attr, str) or not hasattr(probe, attr):
            raise ConfigError("attrs", f"{attr!r} is not a field of FrozenTrial; expected some of "
                                       f"{', '.join(DATAFRAME_ATTRS)}, values, intermediate_values, distributions")
    return out


def trials_frame(trials: Sequence[FrozenTrial], attrs: Sequence[str] = DATAFRAME_ATTRS, *,
                 multi_index: bool = False, n_objectives: int = 1,
                 metric_names: Sequence[str] | None = None) -> Any:
    """Optuna's table: ``params_lr``, ``user_attrs_note``, ``values_0``... (``values_NAME``
    with metric names), states in capitals (``COMPLETE``, ``PRUNED``, ``FAIL``; nntune's
    ``DIVERGED`` too)."""
    import pandas as pd

    attrs = check_attrs(attrs)
    rows = [trial_row(t, attrs, n_objectives, metric_names) for t in trials]
    columns: list[tuple[str, Any]] = []
    for r in rows:
        columns.extend(c for c in r if c not in columns)
    order: dict[str, int] = {}
    for i, a in enumerate(attrs):
        order.setdefault(a[1:] if a.startswith("_") else a, i)
    # Columns in the order of attrs, as Optuna's; "values" comes from "value" for several objectives.
    order.setdefault("values", order.get("value", len(attrs)))

    def place(c: tuple[str, Any]) -> tuple[int, int, str]:
        if c[0] in ("value", "values"):  # the objectives in their own order (values_10 after values_9)
            keys = list(metric_names) if metric_names else [str(i) for i in range(n_objectives)]
            return order[c[0]], keys.index(c[1]) if c[1] in keys else 0, ""
        if c[0] == "intermediate_values":  # steps in number order (step 10 after step 9), as Optuna's
            return order[c[0]], c[1], ""
        return order.get(c[0], len(attrs)), 0, c[1]

    columns.sort(key=place)
    # Optuna keys an unnamed objective by its index, an int: df[("values", 0)], df["values"][1].
    index = [(a, int(k)) if a == "values" and not metric_names else (a, k) for a, k in columns]
    # A column a trial has no entry in (a parameter it did not suggest, an attribute it did not
    # set) reads NaN, as in Optuna's frame, whatever the column's type; None stays for an entry
    # the trial has as None (a failed trial's value, a running trial's duration).
    df = pd.DataFrame([[r.get(c, math.nan) for c in columns] for r in rows],
                      columns=pd.MultiIndex.from_tuples(index) if columns else None)
    if not multi_index and columns:
        df.columns = [f"{a}_{k}" if k != "" else a for a, k in columns]  # step 0 is a key too
    return df
