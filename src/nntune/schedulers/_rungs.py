"""What a rung compares, and where a trial stands when its epochs cost more than its peers'.

Pure functions under ASHA and Hyperband:

- :func:`compared_curve`: the curve a rung reads. ``last`` is the value reported at the
  step; ``best`` the best value so far; ``smoothed`` the mean of the last two reported
  values. A noisy first epoch moves ``last`` most and ``best`` and ``smoothed`` less.
- :func:`cost_factor` and :func:`seconds_per_step`: a trial's *position* at step ``s`` is
  ``s * max(1, c / c_ref)`` where ``c`` is its seconds per epoch (from the ``elapsed_s``
  system attribute its reports record, by the study's clock) and ``c_ref`` the study's median; a trial whose epochs cost ten times the typical one reaches the rung
  at 9 epochs after its first epoch, so it is judged by the time it spent as well as by
  its epochs. ASHA and Hyperband count the factor only from ``min_cost_factor``
  (:data:`DEFAULT_MIN_COST_FACTOR`).
- :func:`cost_scale`: each trial's cost factor against the study's median epoch, read
  once per decision; :func:`unjudged_too_long`: the cap on a trial no other trial can be
  compared with yet; :func:`leads_by_epochs`: whether a costly trial leads its peers at its
  own epochs (the exception that keeps an expensive but good configuration going);
  ASHA's and Hyperband's ``cost_aware_decision`` puts them together.
- :func:`budget_rungs`: the grace period and reduction factor for a study expected to run
  ``n`` trials, so that a few trials still reach the last rung.
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence

from nntune.exceptions import ConfigError
from nntune.samplers._checks import check_count, check_positive
from nntune.trial import Direction, FrozenTrial

COMPARES = ("last", "best", "smoothed")
# Only a trial whose epochs cost at least this many of the study's median epoch is judged by
# its time: replayed on CNN curves whose best configurations cost 2-3x the median, scaling
# every trial stopped the best one in 88% of its arrivals (docs/few-trials.md).
DEFAULT_MIN_COST_FACTOR = 4.0


def check_compare(compare: str) -> None:
    if compare not in COMPARES:
        raise ConfigError("compare", f"must be one of {', '.join(COMPARES)}, got {compare!r}")


def compared_curve(curve: Mapping[int, float], compare: str, direction: Direction) -> dict[int, float]:
    """The values a rung compares at each reported step (see the module's docstring).
    Non-finite values stay non-finite under ``last`` and ``smoothed`` (a diverged trial
    ranks last); ``best`` skips them."""
    steps = sorted(curve)
    if compare == "last":
        return {s: curve[s] for s in steps}
    out: dict[int, float] = {}
    if compare == "best":
        best = math.nan
        for s in steps:
            v = curve[s]
            if math.isfinite(v) and (not math.isfinite(best) or
                                     (v > best if direction == "maximize" else v < best)):
                best = v
            out[s] = best
        return out
    if compare == "smoothed":
        for i, s in enumerate(steps):
            window = [curve[t] for t in steps[max(0, i - 1):i + 1]]
            out[s] = sum(window) / len(window)
        return out
    raise ConfigError("compare", f"must be one of {', '.join(COMPARES)}, got {compare!r}")


def elapsed_seconds(trial: FrozenTrial) -> tuple[int, float] | None:
    """``(step, seconds)`` of the trial's last timed report: the seconds since it started,
    which a live trial records under a cost-aware scheduler (system attribute ``elapsed_s``)."""
    timed = trial.system_attrs.get("elapsed_s")
    if not isinstance(timed, (list, tuple)) or len(timed) != 2:
        return None
    step, seconds = timed
    if not isinstance(step, (int, float)) or step < 1 or not isinstance(seconds, (int, float)) \
            or not math.isfinite(seconds):
        return None
    return int(step), float(seconds)


def seconds_per_step(trial: FrozenTrial) -> float | None:
    """Seconds a trial spent per reported epoch, from its last timed report; ``None``
    without one."""
    timed = elapsed_seconds(trial)
    return None if timed is None else max(0.0, timed[1]) / timed[0]


def reference_cost(costs: Iterable[float | None]) -> float | None:
    """The study's typical seconds per epoch: the median of the known positive costs."""
    known = [c for c in costs if c is not None and c > 0 and math.isfinite(c)]
    return statistics.median(known) if known else None


def cost_factor(cost: float | None, reference: float | None, min_factor: float = 1.0) -> float:
    """How many typical epochs one of this trial's epochs is worth (never below 1); 1 when
    it is worth fewer than ``min_factor`` (only a trial many times as costly is scaled)."""
    if cost is None or reference is None or reference <= 0:
        return 1.0
    factor = cost / reference
    return factor if factor >= max(1.0, min_factor) else 1.0


def rung_value(curve: Mapping[int, float], rung: int, scale: float = 1.0) -> float | None:
    """The value at the first reported step whose position (``step * scale``) is at or past
    ``rung``; ``None`` if not reached."""
    reached = [s for s in curve if s * scale >= rung]
    return None if not reached else curve[min(reached)]


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def promotable(rung_values: Sequence[float], value: float, eta: int, direction: Direction,
               margin: float = 0.0) -> bool:
    """Whether ``value`` is among the best ``max(1, n // eta)`` of ``rung_values``, or
    within ``margin`` of the last one kept (a noise-aware cut: a trial is stopped only when
    it is behind by more than the noise).

    ``rung_values`` are the ``n`` values recorded at one rung, ``value`` included. A value
    equal to the last one kept is kept too. Non-finite values rank last and never go on.
    """
    if not _finite(value):
        return False
    keep = max(1, len(rung_values) // eta)
    finite = sorted((v for v in rung_values if _finite(v)), reverse=direction == "maximize")
    if len(finite) < keep:
        return True
    threshold = finite[keep - 1]
    return value >= threshold - margin if direction == "maximize" else value <= threshold + margin


def check_cost_options(budget_seconds: float | None, max_unjudged_share: float, min_cost_factor: float) -> None:
    """Raise :class:`ConfigError` unless the budget is positive (or None), the unjudged
    share in (0, 1] and the smallest scaled cost factor a finite number >= 1."""
    if isinstance(min_cost_factor, bool) or not isinstance(min_cost_factor, numbers.Real) \
            or not 1 <= min_cost_factor < math.inf:
        raise ConfigError("min_cost_factor", f"must be a number >= 1, got {min_cost_factor!r}")
    if budget_seconds is not None and not (not isinstance(budget_seconds, bool)
                                           and isinstance(budget_seconds, numbers.Real) and budget_seconds > 0):
        raise ConfigError("budget_seconds", f"must be > 0, got {budget_seconds!r}")
    if isinstance(max_unjudged_share, bool) or not isinstance(max_unjudged_share, numbers.Real) \
            or not 0 < max_unjudged_share <= 1:
        raise ConfigError("max_unjudged_share", f"must be in (0, 1], got {max_unjudged_share!r}")


def search_budget(given: float | None, timeout: float | None) -> float | None:
    """The seconds an unjudged trial's share is taken from: the scheduler's own
    ``budget_seconds`` when one was given, else the timeout of the search that runs now
    (None: no cap). A budget taken from one ``optimize(timeout=...)`` is not kept for the
    next one, which may run longer, or without a timeout."""
    if given is not None:
        return given
    return float(timeout) if timeout is not None and timeout > 0 else None


def cost_scale(trial: FrozenTrial, history: Iterable[FrozenTrial],
               min_factor: float = 1.0) -> Callable[[FrozenTrial], float]:
    """Each trial's cost factor (:func:`cost_factor`, ``min_factor`` as there) against the
    median seconds per epoch of ``history`` and ``trial`` (its own newest timing wins over
    a stale copy in history)."""
    costs = {t.number: seconds_per_step(t) for t in history if t.number != trial.number}
    costs[trial.number] = seconds_per_step(trial)
    ref = reference_cost(costs.values())
    return lambda t: cost_factor(costs.get(t.number), ref, min_factor)


def unjudged_too_long(trial: FrozenTrial, history: Iterable[FrozenTrial], budget_seconds: float | None,
                      share: float, first_rung: int) -> bool:
    """Whether ``trial`` has spent more than ``share`` of the study's ``budget_seconds``
    while no other trial has reached ``first_rung`` (so nothing could judge it yet)."""
    timed = elapsed_seconds(trial)
    if budget_seconds is None or timed is None or timed[1] < share * budget_seconds:
        return False
    return not any(t.number != trial.number and (t.last_step or 0) >= first_rung for t in history)


def leads_by_epochs(trial: FrozenTrial, step: int, peers: Iterable[FrozenTrial], direction: Direction,
                    compare: str = "last") -> bool:
    """Whether ``trial``'s value at ``step`` is at least as good as every value its peers
    had at that many epochs (their first report at or past ``step``). A costly trial that
    its time would stop is spared while this holds: it leads, so its cost buys the best
    curve seen so far. With no peer that far, it holds."""
    own = compared_curve(trial.intermediate_values, compare, direction).get(step)
    if own is None or not math.isfinite(own):
        return False
    for p in peers:
        v = rung_value(compared_curve(p.intermediate_values, compare, direction), step) \
            if p.number != trial.number else None
        if _finite(v) and (v > own if direction == "maximize" else v < own):
            return False
    return True


def budget_rungs(expected_trials: float, max_resource: int, *, grace: int = 1,
                 finishers: float = 3.0) -> tuple[int, int]:
    """``(min_resource, reduction_factor)`` for a study expected to start ``expected_trials``
    trials of at most ``max_resource`` epochs: the smallest grace period at or above
    ``grace`` and the largest reduction factor of 3 and 2 with which about ``finishers``
    trials still pass every rung (``n / eta**rungs >= finishers``). With too few trials for
    any rung, ``(max_resource, 3)``: no rung below the budget, every trial finishes."""
    expected_trials = check_positive("expected_trials", expected_trials)
    max_resource = check_count("max_resource", max_resource, 1)
    grace = check_count("min_resource", grace, 1)  # the grace given to ASHA.for_budget
    for g in range(grace, max_resource):
        for eta in (3, 2):
            rungs = 0
            r = g
            while r < max_resource:
                rungs += 1
                r *= eta
            if rungs and expected_trials / eta ** rungs >= finishers:
                return g, eta
    return max_resource, 3
