"""Optuna's pruning rules as pure functions of a trial's curve and the others' values.

Optuna's pruners judge a trial from the step it has reached: not before ``n_warmup_steps``,
then at the first report in each ``interval_steps`` window; a percentile pruner keeps a
trial whose best value so far is within the kept share of the complete trials' values at
the same step; a patient pruner waits until the curve has not improved for ``patience``
reports; a threshold pruner stops a value outside [lower, upper]; successive halving
under a patient pruner sees a trial's curve only where the patient pruner consulted it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import numpy as np

from nntune.schedulers._asha import ASKED_STEP
from nntune.trial import Direction, FrozenTrial


def first_in_interval(step: int, steps: Iterable[int], warmup: int, interval: int) -> bool:
    """Whether ``step`` is a check step: past the warm-up, and no earlier report falls in
    the same ``interval`` window (Optuna's ``_is_first_in_interval_step``)."""
    if step < warmup:
        return False
    window_start = (step - warmup) // interval * interval + warmup
    previous = max((s for s in steps if s != step), default=-1)
    return previous < window_start


def best_of_curve(curve: Mapping[int, float | None], direction: Direction) -> float:
    """The best value a trial reported (NaN when every value is missing or NaN)."""
    values = np.array([math.nan if v is None else v for v in curve.values()], dtype=float)
    if values.size == 0 or np.isnan(values).all():
        return math.nan
    return float(np.nanmax(values) if direction == "maximize" else np.nanmin(values))


def percentile_cut(values: Iterable[float | None], percentile: float, direction: Direction,
                   n_min: int) -> float:
    """The value a trial must beat to be kept: the ``percentile`` of ``values`` counted from
    the good end; NaN (keep) with fewer than ``n_min`` values."""
    arr = np.array([math.nan if v is None else v for v in values], dtype=float)
    if arr.size < n_min or arr.size == 0 or np.isnan(arr).all():
        return math.nan
    q = 100.0 - percentile if direction == "maximize" else percentile
    return float(np.nanpercentile(arr, q))


def worse_than(best: float, cut: float, direction: Direction) -> bool:
    if math.isnan(cut):
        return False
    return best < cut if direction == "maximize" else best > cut


def stalled(curve: Mapping[int, float | None], patience: int, min_delta: float, direction: Direction) -> bool:
    """Whether the last ``patience + 1`` reports improved on none of the earlier ones by
    more than ``min_delta``."""
    steps = sorted(curve)
    if len(steps) <= patience + 1:
        return False
    def vals(ss: list[int]) -> np.ndarray:
        return np.array([math.nan if curve[s] is None else curve[s] for s in ss], dtype=float)
    before, after = vals(steps[:-patience - 1]), vals(steps[-patience - 1:])
    if np.isnan(before).all() or np.isnan(after).all():
        return False
    if direction == "minimize":
        return bool(np.nanmin(before) + min_delta < np.nanmin(after))
    return bool(np.nanmax(before) - min_delta > np.nanmax(after))


def outside(value: float | None, lower: float, upper: float) -> bool:
    """Whether a reported value is NaN (or missing) or outside [lower, upper]."""
    return value is None or math.isnan(value) or value < lower or value > upper


def consulted_steps(curve: Mapping[int, float | None], patience: int, min_delta: float,
                    direction: Direction) -> list[int]:
    """The steps of ``curve`` at whose report a patient pruner consulted the pruner
    it wraps: those where the curve up to the step had stalled (:func:`stalled` of each
    prefix, in one pass: asked for every trial of the study at each rung crossed)."""
    steps = sorted(curve)
    sign = -1.0 if direction == "maximize" else 1.0  # minimising -v: "best" is the smallest
    values = [math.nan if curve[s] is None else sign * float(curve[s]) for s in steps]  # type: ignore[arg-type]
    out: list[int] = []
    best_before = math.nan
    for i in range(patience + 1, len(steps)):
        entering = values[i - patience - 1]  # leaves the last patience + 1 reports for the earlier ones
        if not math.isnan(entering) and not entering >= best_before:
            best_before = entering
        window = [v for v in values[i - patience:i + 1] if not math.isnan(v)]
        if not math.isnan(best_before) and window and best_before + min_delta < min(window):
            out.append(steps[i])
    return out


def consulted_view(trial: FrozenTrial, step: int, patience: int, min_delta: float,
                   direction: Direction) -> FrozenTrial | None:
    """``trial`` as successive halving wrapped in a :class:`PatientPruner` must see it: its
    curve only at the reports where the patient pruner consulted it (the curve had stalled
    there), and at ``step``. Optuna's successive halving records a trial's rung only when
    it is consulted, so when next consulted it judges every rung passed since, with the
    value at that step; judged only at the rungs the report at ``step`` itself crossed, a
    trial that stalled after a rung was never judged there, and almost nothing was pruned.

    A curve reported out of order (step 5, then step 3) is replayed in report order (a live
    trial's curve keeps it): each consult saw the highest step reported by then. None when
    the wrapped pruner was already consulted at ``step``: it has judged every rung up to it."""
    curve = trial.intermediate_values
    order = list(curve)
    if order == sorted(order):
        consulted = {s: curve[s] for s in consulted_steps(curve, patience, min_delta, direction) if s < step}
    else:
        highest = replayed_consults(curve, patience, min_delta, direction)
        if step in highest:
            return None
        consulted = {s: curve[s] for s in sorted(highest) if s < step}
    if step in curve:
        consulted[step] = curve[step]
    # The rungs to judge are those since the last consult, which the view gives, not since
    # the trial last asked this pruner (most asks find the curve improving: no consult).
    attrs = {k: v for k, v in trial.system_attrs.items() if k != ASKED_STEP}
    return dataclasses.replace(trial, intermediate_values=consulted, system_attrs=attrs)


def replayed_consults(curve: Mapping[int, float], patience: int, min_delta: float,
                      direction: Direction) -> set[int]:
    """The highest step reported at each report before the latest one (``curve`` in report
    order) where the curve so far had stalled: where a patient pruner consulted the one it
    wraps. Each prefix is judged as a whole, sorted by step, as Optuna's patient pruner does."""
    seen: dict[int, float] = {}
    out: set[int] = set()
    for s in list(curve)[:-1]:
        seen[s] = curve[s]
        if stalled(seen, patience, min_delta, direction):
            out.add(max(seen))
    return out
