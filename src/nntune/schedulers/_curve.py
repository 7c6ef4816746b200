"""Learning-curve extrapolation: stop a trial that will probably not beat the best.

At each report past ``min_steps`` epochs the trial's curve so far is fitted by an ensemble
of parametric curve families (:mod:`nntune.schedulers._curve_fit`) and extrapolated to
the horizon (``max_resource`` epochs; without it, the longest curve among the complete
trials). The trial stops when the probability that its value at the horizon beats the
target (the best complete trial's value, or with ``top`` the value the best ``top`` share
of complete trials reach) falls below ``threshold``.

The prediction's spread is calibrated on the study itself: every judged report's
prediction is stored with the trial (``system_attrs["curve"]``), and the fitted standard
deviation is scaled so that the study's misses would have been one standard deviation on
average (the RMS of their z-scores, clipped to [1, 10]). Every std, judged or scored, is at
least the metric's resolution (the smallest step any curve of the study moved by: one
validation sample for an accuracy): a flat curve is fitted with a std near 0, and one such
record's miss of a sample was enough to send the factor to the cap. The misses are those of the
complete trials' stored predictions at the same epoch, and (``calibrate_stopped``, on by
default) those of every trial that stopped short of the horizon, refitted up to an
earlier epoch and scored on its own last reported value (:func:`own_step_records`): the
complete trials alone are survivors, whose curves kept rising, and taught only the
spread of good curves. With fewer than three misses the std is doubled
(``default_calibration``).

With fewer than ``n_startup_trials`` complete trials there is nothing to beat and the
trial runs on (predictions are still made and stored). The decision is a pure function of
the trial and the history; fits are cached, so a report costs at most one fit however
often it is asked about.
"""

from __future__ import annotations

import math
import numbers
import threading
import functools
from collections.abc import Sequence
from typing import Any

from nntune.exceptions import ConfigError
from nntune.schedulers._base import Decision
from nntune.schedulers._curve_fit import CurveFit, calibration_factor, fit_curve, probability_above, resolution
from nntune.schedulers._options import check_count
from nntune.trial import Direction, FrozenTrial, TrialState

ATTR = "curve"  # the system attribute holding a trial's predictions
_CACHE = 256  # predictions kept per scheduler (one per running trial is what is reused)


@functools.lru_cache(maxsize=1024)
def cached_fit(steps: tuple[int, ...], values: tuple[float, ...], horizon: int, window: float) -> CurveFit | None:
    """:func:`fit_curve`, remembered: a report asked about twice (a decision, then the
    prediction stored beside it; or several schedulers of one process) is fitted once."""
    return fit_curve(steps, values, horizon, window=window)


DENSE_STEPS = 64  # judged steps per doubling of a long curve (every step below 2 * this)


def judged_steps_upto(step: int, min_steps: int, interval_steps: int = 1) -> int:
    """How many of the judged steps (:func:`judged_step`'s grid) are at or below ``step``:
    counted band by band, the stride being ``interval_steps`` below ``2 * DENSE_STEPS`` and
    doubling with each doubling of the step above it."""
    total, k = 0, 0
    while True:
        low, high = (0, 2 * DENSE_STEPS) if k == 0 else (DENSE_STEPS * 2 ** k, DENSE_STEPS * 2 ** (k + 1))
        if low > step:
            return total
        first, last = max(low, min_steps), min(high - 1, step)
        if first <= last:
            stride = interval_steps * 2 ** k
            total += (last - min_steps) // stride - (first - 1 - min_steps) // stride
        k += 1


def judged_step(step: int, min_steps: int, interval_steps: int = 1, previous: int | None = None) -> bool:
    """Whether a curve is judged at ``step``: at its first report at or past each step of a
    grid, every ``interval_steps`` from ``min_steps`` on, and on a longer curve about
    :data:`DENSE_STEPS` times per doubling of its steps (the stride doubles with the step).
    ``previous`` is the curve's report before ``step`` (``step - 1``, a report every step,
    when None). An objective that reports every batch reaches thousands of steps, each fit
    costs in proportion to the points fitted and each judgment is stored with the trial:
    judged at every step, a 1,000-step curve cost 4-12 ms a report, growing, against about
    0.4 ms thinned. A curve of epochs (under 128 steps) is judged at every step as before.
    The grid depends on the step alone, so every trial that reports the same steps is
    judged at the same steps and the finished trials' predictions at a step
    (:func:`past_records`) are there for the judged one's; a curve reported every few
    steps is judged at its first report past each grid step, where asking for the grid
    step itself would skip it forever once the stride outgrows its spacing."""
    if step < min_steps:
        return False
    before = step - 1 if previous is None else previous
    return judged_steps_upto(step, min_steps, interval_steps) > judged_steps_upto(before, min_steps, interval_steps)


def horizon_of(history: Sequence[FrozenTrial], max_resource: int | None) -> int | None:
    """The epoch predictions aim at: ``max_resource``, else the longest complete curve."""
    if max_resource is not None:
        return max_resource
    lasts = [t.last_step for t in history if t.state == TrialState.COMPLETE and t.last_step is not None]
    return max(lasts) if lasts else None


def target_value(values: Sequence[float], top: float, direction: Direction) -> float | None:
    """The value to beat: the best of ``values``, or with ``top`` > 0 the worst of the best
    ``ceil(top * n)`` of them."""
    finite = sorted((v for v in values if math.isfinite(v)), reverse=direction == "maximize")
    if not finite:
        return None
    return finite[max(0, math.ceil(top * len(finite)) - 1)] if top > 0 else finite[0]


def past_records(history: Sequence[FrozenTrial], step: int, horizon: int,
                 number: int) -> list[tuple[float, float, float]]:
    """(predicted mean, predicted std, actual value at the horizon) of the complete trials
    that stored a prediction at ``step`` for the same horizon, in the trials' own units.

    The std is the fitted one, before calibration: a record's fifth item is the factor its
    stored std was widened by, and it is divided out, since the factor learned from these
    records multiplies a fitted std (learning it against widened ones would shrink it by
    the factor in force when the records were made). Records without it count as fitted."""
    out = []
    for t in history:
        rec = t.system_attrs.get(ATTR) if t.number != number and t.state == TrialState.COMPLETE else None
        if not rec or rec.get("horizon") != horizon or horizon not in t.intermediate_values:
            continue
        for s, mean, std, *more in rec.get("finals", ()):
            if s == step:
                widened = float(more[1]) if len(more) > 1 and float(more[1]) > 0 else 1.0
                out.append((float(mean), float(std) / widened, float(t.intermediate_values[horizon])))
    return out


def own_step_records(history: Sequence[FrozenTrial], step: int, horizon: int, number: int,
                     direction: Direction, min_steps: int = 4,
                     window: float = 1.0) -> list[tuple[float, float, float]]:
    """(predicted mean, fitted std, actual value) of every finished trial that stopped short
    of ``horizon``, the stopped ones above all: its curve up to an earlier step ``s``,
    fitted and extrapolated to its own last reported step ``t``, against the value there.

    The complete trials' records (:func:`past_records`) come from survivors, whose curves
    went on rising; a stopped trial's curve may have flattened or fallen where the fit
    expected it to rise, and those misses are the ones that stop good trials or keep bad
    ones. The fit sees the curve up to ``s = min(step, t - 1)``: the points the judged fit
    has, where the curve is long enough, since how many points a fit sees decides which
    families may take part (a family needs two more than its parameters) and how far off
    it goes (on an exponential curve, a fit of epochs 1..4, two families, misses epoch 10
    by ten of its deviations, a fit of 1..6 by one). Its reach ``t - s`` is then
    shorter than the judged one's (``horizon - step``), and the miss is divided by the std
    the fit predicted at ``t``, which widens with the reach: each record is a z-score in
    its own fit's units, as the complete trials' are, and one trial weighs as much as
    another. A trial stopped at or before ``min_steps`` has nothing to score."""
    sign = 1.0 if direction == "maximize" else -1.0
    out = []
    for t in history:
        if t.number == number or t.state not in (TrialState.COMPLETE, TrialState.PRUNED):
            continue
        curve = {s: v for s, v in t.intermediate_values.items() if math.isfinite(v)}
        last = max(curve, default=None)
        if last is None or last >= horizon or last <= min_steps:
            continue
        s = max(min_steps, min(step, last - 1))
        steps = tuple(sorted(k for k in curve if k <= s))
        fit = cached_fit(steps, tuple(sign * curve[k] for k in steps), last, window)
        if fit is None:
            continue
        out.append((sign * fit.final_mean, fit.final_std(), curve[last]))
    return out


class CurveExtrapolation:
    """``CurveExtrapolation(threshold=0.02, min_steps=4)``: from the fourth epoch on, stop a
    trial whose predicted final value has less than a 2% chance of beating the best.

    The defaults come from ``benchmarks/curve_extrapolation.py`` on recorded curves: at
    0.05 (Domhan et al.'s choice) the best configuration of a Fashion-MNIST MLP study was
    stopped in all 5 orders; at 0.02 in none, with fewer epochs than median stopping.
    ``calibrate_stopped=False`` learns the spread from the complete trials alone."""

    def __init__(self, threshold: float = 0.02, min_steps: int = 4, n_startup_trials: int = 2,
                 max_resource: int | None = None, top: float = 0.0, interval_steps: int = 1,
                 default_calibration: float = 2.0, window: float = 1.0, calibrate_stopped: bool = True) -> None:
        min_steps = check_count("min_steps", min_steps, 4)
        n_startup_trials = check_count("n_startup_trials", n_startup_trials, 1)
        interval_steps = check_count("interval_steps", interval_steps, 1)
        if max_resource is not None:
            # numpy's integers are integers; the message names the bound that matters here
            given = max_resource
            try:
                max_resource = check_count("max_resource", max_resource, min_steps + 1)
            except ConfigError:
                raise ConfigError("max_resource", f"must be an integer > min_steps ({min_steps}), "
                                                  f"got {given!r}") from None
        for name, v, lo, hi in (("threshold", threshold, 0.0, 1.0), ("top", top, 0.0, 1.0)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not lo <= v < hi:
                raise ConfigError(name, f"must be a number in [{lo:g}, {hi:g}), got {v!r}")
        if isinstance(window, bool) or not isinstance(window, numbers.Real) or not 0 < window <= 1:
            raise ConfigError("window", f"must be a number in (0, 1], got {window!r}")
        if isinstance(default_calibration, bool) or not isinstance(default_calibration, numbers.Real) \
                or not default_calibration >= 1:
            raise ConfigError("default_calibration", f"must be a number >= 1, got {default_calibration!r}")
        if not isinstance(calibrate_stopped, bool):
            raise ConfigError("calibrate_stopped", f"must be true or false, got {calibrate_stopped!r}")
        self.threshold = float(threshold)
        self.min_steps = min_steps
        self.n_startup_trials = n_startup_trials
        self.max_resource = max_resource
        self.top = float(top)
        self.interval_steps = interval_steps
        self.default_calibration = float(default_calibration)
        self.window = float(window)
        self.calibrate_stopped = calibrate_stopped
        self._notes: dict[int, dict[str, Any]] = {}
        self._fresh: set[int] = set()  # trials with a prediction not yet handed to annotation
        self._lock = threading.Lock()

    # the scheduler seam ------------------------------------------------------------------
    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        previous = max((s for s in trial.intermediate_values if s < step), default=-1)
        if not judged_step(step, self.min_steps, self.interval_steps, previous):
            return Decision.CONTINUE
        history = list(history)
        horizon = horizon_of(history, self.max_resource)
        if horizon is None or step >= horizon:
            return Decision.CONTINUE
        curve = {s: v for s, v in trial.intermediate_values.items() if s <= step}
        fit = self._fit(curve, horizon, direction)
        if fit is None:
            return Decision.CONTINUE
        sign = 1.0 if direction == "maximize" else -1.0
        records = past_records(history, step, horizon, trial.number)
        if self.calibrate_stopped:
            records += own_step_records(history, step, horizon, trial.number, direction, self.min_steps,
                                        self.window)
        # a flat curve's fit claims a std near 0, which neither its own miss (as a record)
        # nor its prediction (as the judged trial) may: the metric moves by its resolution
        floor = resolution([[v for _, v in sorted(t.intermediate_values.items())]
                            for t in history if t.number != trial.number] + [[curve[s] for s in sorted(curve)]])
        calibration = calibration_factor(records, default=self.default_calibration, floor=floor)
        mean, std = sign * fit.final_mean, calibration * max(fit.final_std(), floor)
        complete = [t.value for t in history if t.state == TrialState.COMPLETE and t.number != trial.number
                    and t.value is not None]
        target = target_value(complete, self.top, direction) if len(complete) >= self.n_startup_trials else None
        p = None if target is None else probability_above(sign * mean, std, sign * target)
        self._note(trial.number, step, fit, sign, calibration, p, target, std)
        if p is None:
            return Decision.CONTINUE
        own = [v for v in curve.values() if math.isfinite(v)]
        if own and sign * (max(own) if sign > 0 else min(own)) > sign * target:
            return Decision.CONTINUE  # it already beats the target
        return Decision.STOP if p < self.threshold else Decision.CONTINUE

    def _fit(self, curve: dict[int, float], horizon: int, direction: Direction) -> CurveFit | None:
        sign = 1.0 if direction == "maximize" else -1.0
        steps = tuple(sorted(curve))
        return cached_fit(steps, tuple(sign * curve[s] for s in steps), horizon, self.window)

    def _note(self, number: int, step: int, fit: CurveFit, sign: float, calibration: float,
              p: float | None, target: float | None, std_final: float) -> None:
        """Remember the prediction made at ``step`` for :meth:`annotation` (one record per
        step; asking twice about one report keeps one); ``std_final`` is the judged std."""
        band = [calibration * math.hypot(s, fit.noise) for s in fit.spread]
        mean = [sign * m for m in fit.mean]
        with self._lock:
            note = self._notes.setdefault(number, {"horizon": fit.horizon, "finals": []})
            if note["horizon"] != fit.horizon:
                note.update(horizon=fit.horizon, finals=[])
            note["finals"] = [r for r in note["finals"] if r[0] != step]
            note["finals"].append([step, sign * fit.final_mean, std_final, p, calibration])
            note.update(step=step, steps=list(fit.steps), mean=mean,
                        low=[m - b for m, b in zip(mean, band)], high=[m + b for m, b in zip(mean, band)],
                        p_beat=p, target=target, calibration=calibration, weights=dict(fit.weights))
            self._fresh.add(number)
            if len(self._notes) > _CACHE:
                self._fresh.discard(old := next(iter(self._notes)))
                self._notes.pop(old)

    def annotation(self, number: int) -> dict[str, Any] | None:
        """System attributes to store with trial ``number`` after a decision: its latest
        prediction (``steps``, ``mean``, ``low``/``high`` one standard deviation, the chance
        ``p_beat`` of beating ``target``) and every judged step's predicted final value
        (``finals``: [step, mean, std, p_beat, calibration], the std widened by the
        calibration factor), under ``"curve"``; ``None`` when nothing was predicted since it
        was last asked."""
        with self._lock:
            if number not in self._fresh:
                return None
            self._fresh.discard(number)
            note = self._notes[number]
            return {ATTR: {**note, "finals": [list(r) for r in note["finals"]]}}

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        """Optuna's pruner entry point: ``decide`` at the trial's last reported step."""
        step = trial.last_step
        if step is None:
            return False
        return self.decide(trial, step, study.get_trials(deepcopy=False), study.directions[0]) == Decision.STOP

    def __repr__(self) -> str:
        return (f"CurveExtrapolation(threshold={self.threshold:g}, min_steps={self.min_steps}, "
                f"n_startup_trials={self.n_startup_trials}, max_resource={self.max_resource}, "
                f"top={self.top:g}, interval_steps={self.interval_steps}, "
                f"default_calibration={self.default_calibration:g}, window={self.window:g}, "
                f"calibrate_stopped={self.calibrate_stopped})")
