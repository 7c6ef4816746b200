"""Median stopping: stop a trial whose best value so far is worse than the median of the
other trials' values at the same step.

Judging starts once ``n_startup_trials`` trials have finished, after a trial's first
``n_warmup_steps`` steps (early epochs rank trials poorly), and then every
``interval_steps`` steps. The other trials are the finished ones (complete or pruned)
that reported the same step; at least ``min_trials`` of them must have.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from nntune.schedulers._base import Decision
from nntune.schedulers._options import check_count
from nntune.trial import Direction, FrozenTrial, TrialState

_JUDGED = (TrialState.COMPLETE, TrialState.PRUNED)


def best_so_far(curve: Mapping[int, float], step: int, direction: Direction) -> float:
    """The best finite value reported at or before ``step`` (NaN when there is none)."""
    finite = [v for s, v in curve.items() if s <= step and math.isfinite(v)]
    if not finite:
        return math.nan
    return max(finite) if direction == "maximize" else min(finite)


def below_median(best: float, others: Iterable[float], direction: Direction) -> bool:
    """Whether ``best`` is strictly worse than the median of ``others`` (finite ones)."""
    finite = [v for v in others if math.isfinite(v)]
    if not finite:
        return False
    if not math.isfinite(best):
        return True
    median = float(np.median(finite))
    return best < median if direction == "maximize" else best > median


def is_check_step(step: int, steps: Iterable[int], warmup: int, interval: int) -> bool:
    """Whether ``step`` is judged: past the warm-up and the first report in its interval.

    The judged steps are ``warmup + 1``, ``warmup + 1 + interval``, ...; a trial that
    reports sparsely is judged at its first report at or past each of them.
    """
    if step <= warmup:
        return False
    check = warmup + 1 + (step - warmup - 1) // interval * interval
    previous = max((s for s in steps if s < step), default=-1)
    return previous < check


class MedianStopping:
    """``MedianStopping(n_startup_trials=5, n_warmup_steps=5)``: no trial stops before five
    have finished or before its sixth epoch; after that, a trial whose best value is worse
    than the median of the finished trials' values at the same epoch stops."""

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 5, interval_steps: int = 1,
                 min_trials: int = 1) -> None:
        self.n_startup_trials = check_count("n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = check_count("n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_count("interval_steps", interval_steps, 1)
        self.min_trials = check_count("min_trials", min_trials, 1)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if not is_check_step(step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        finished = [t for t in history if t.state in _JUDGED and t.number != trial.number]
        if len(finished) < max(1, self.n_startup_trials):
            return Decision.CONTINUE
        others = [t.intermediate_values[step] for t in finished if step in t.intermediate_values]
        if len(others) < self.min_trials:
            return Decision.CONTINUE
        best = best_so_far(trial.intermediate_values, step, direction)
        return Decision.STOP if below_median(best, others, direction) else Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"MedianStopping(n_startup_trials={self.n_startup_trials}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps}, "
                f"min_trials={self.min_trials})")
