"""Infinite objective values as the dashboard's JSON carries them.

Optuna takes ``inf`` and ``-inf`` as values (a diverged loss, a failed constraint scored as
the worst), and ``study.best_trial`` may be such a trial. Strict JSON has no number for
them: written as ``null``, a complete trial valued ``-inf`` read as a trial without a value
("–"), and the best line named another trial than ``study.best_trial``. The rows, the
selected trial, the best line and the studies list carry them as the strings ``"inf"`` and
``"-inf"``, as optuna-dashboard's API does; NaN, which no objective may return, stays null.
The best line is the leaderboard's best (``report.data.rank``), which is ``study.best_trial``.
"""

from __future__ import annotations

from typing import Any

from nntune._json import infinite_text as shown  # ``value``, or "inf"/"-inf" for an infinite float
from nntune.trial import FrozenTrial


def with_values(row: dict[str, Any], trial: FrozenTrial) -> dict[str, Any]:
    """``row`` (a trial's row or detail, whose values are finite or None) with the trial's
    infinite values put back as text."""
    row["value"] = shown(trial.value)
    row["values"] = None if trial.values is None else [shown(v) for v in trial.values]
    return row

