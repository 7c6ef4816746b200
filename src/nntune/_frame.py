"""``Study.trials_dataframe``: one row per trial with Optuna's columns, as pandas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from nntune.trial import FrozenTrial

DATAFRAME_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params",
                   "user_attrs", "system_attrs", "state")
_NESTED = ("params", "user_attrs", "system_attrs", "intermediate_values")


def trial_row(t: FrozenTrial, attrs: Sequence[str], n_objectives: int) -> dict[tuple[str, str], Any]:
    """A trial's columns as (attribute, key) pairs: key "" for plain attributes."""
    row: dict[tuple[str, str], Any] = {}
    for attr in attrs:
        if attr in _NESTED:
            for key, v in getattr(t, attr).items():
                if attr == "system_attrs" and key == "values":  # shown as values_0, values_1, ...
                    continue
                row[(attr, str(key))] = v
        elif attr in ("value", "values"):
            values = t.values
            if n_objectives == 1:
                row[("value", "")] = None if values is None else values[0]
            else:
                for i in range(n_objectives):
                    row[("values", str(i))] = None if values is None else values[i]
        elif attr == "duration":
            row[(attr, "")] = None if t.duration is None else timedelta(seconds=t.duration)
        elif attr == "state":
            row[(attr, "")] = t.state.name
        else:
            row[(attr, "")] = getattr(t, attr)
    return row


def trials_frame(trials: Sequence[FrozenTrial], attrs: Sequence[str] = DATAFRAME_ATTRS, *,
                 multi_index: bool = False, n_objectives: int = 1) -> Any:
    """Optuna's table: ``params_lr``, ``user_attrs_note``, ``values_0``..., states in
    capitals (``COMPLETE``, ``PRUNED``, ``FAIL``; nntune's ``DIVERGED`` too)."""
    import pandas as pd

    rows = [trial_row(t, attrs, n_objectives) for t in trials]
    columns: list[tuple[str, str]] = []
    for r in rows:
        columns.extend(c for c in r if c not in columns)
    order = {a: i for i, a in enumerate(attrs)}
    columns.sort(key=lambda c: (order.get(c[0] if c[0] != "values" else "value", len(order)), c[1]))
    df = pd.DataFrame([[r.get(c) for c in columns] for r in rows], columns=pd.MultiIndex.from_tuples(columns)
                      if columns else None)
    if not multi_index and columns:
        df.columns = [f"{a}_{k}" if k else a for a, k in columns]
    return df
