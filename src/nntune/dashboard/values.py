"""Infinite objective values as the dashboard's JSON carries them.

Optuna takes ``inf`` and ``-inf`` as values (a diverged loss, a failed constraint scored as
the worst), and ``study.best_trial`` may be such a trial. Strict JSON has no number for
them: written as ``null``, a complete trial valued ``-inf`` read as a trial without a value
("–"), and the best line named another trial than ``study.best_trial``. The rows, the
selected trial, the best line and the studies list carry them as the strings ``"inf"`` and
``"-inf"``, as optuna-dashboard's API does; NaN, which no objective may return, stays null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nntune.samplers import is_feasible
from nntune.trial import FrozenTrial, best_trial


def shown(value: Any) -> Any:
    """``value``, or ``"inf"``/``"-inf"`` for an infinite float."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def with_values(row: dict[str, Any], trial: FrozenTrial) -> dict[str, Any]:
    """``row`` (a trial's row or detail, whose values are finite or None) with the trial's
    infinite values put back as text."""
    row["value"] = shown(trial.value)
    row["values"] = None if trial.values is None else [shown(v) for v in trial.values]
    return row


def study_best(trials: Sequence[FrozenTrial], direction: str) -> FrozenTrial | None:
    """The trial ``study.best_trial`` answers (an infinite value counts, as in Optuna): the
    best complete trial among those that meet the study's constraints."""
    return best_trial([t for t in trials if is_feasible(t)], direction)  # type: ignore[arg-type]
