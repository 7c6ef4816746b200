"""Optuna's pruners by Optuna's names and arguments, as nntune schedulers.

Each has the scheduler seam's ``decide(trial, step, history, direction)`` and Optuna's
``prune(study, trial) -> bool``. Successive halving and Hyperband are nntune's ASHA and
Hyperband under Optuna's argument names. A ``BasePruner`` subclass written for Optuna
(only ``prune``) is asked through ``prune`` with the study and the trial as plain data.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nntune.exceptions import ConfigError
from nntune.pruners._rules import (best_of_curve, consulted_steps, consulted_view, first_in_interval, outside,
                                  percentile_cut, stalled, worse_than)
from nntune.samplers._base import resolve_seed
from nntune.schedulers._options import check_count
from nntune.schedulers import ASHA, Bracket, Decision, Hyperband, NoScheduler
from nntune.schedulers._asha import rung_steps
from nntune.trial import Direction, FrozenTrial, TrialState


class BasePruner:
    """Subclass and define ``prune(study, trial) -> bool`` (True: stop the trial now)."""

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        """Optuna's entry point; nntune's own pruners answer it through ``decide``."""
        decide = getattr(self, "decide")
        step = trial.last_step
        if step is None:
            return False
        decision = decide(trial, step, study.get_trials(deepcopy=False), study.directions[0])
        # Kept with the trial as a study's own asking keeps it: successive halving's rung
        # where it stopped a trial (without it, a trial stopped at a rung that one report
        # passed with others above it counted at those too), the curve scheduler's predictions.
        annotate = getattr(self, "annotation", None)
        for key, value in ((annotate(trial.number) or {}) if annotate is not None else {}).items():
            study.storage.set_trial_system_attr(study.id, trial.number, key, value)
        return decision == Decision.STOP


def check_pruner(value: Any, field: str = "pruner") -> Any:
    """``value`` if it can judge trials (nntune's ``decide`` or Optuna's ``prune``) or is
    None; else a one-line error naming ``field``, at ``create_study`` rather than at the
    first ``should_prune``. The class itself, not an instance, is the usual slip."""
    if value is None:
        return None
    if isinstance(value, type):
        raise ConfigError(field, f"got the class {value.__name__}, not a pruner: call it, "
                                 f"{field}={value.__name__}()")
    decides = callable(getattr(value, "decide", None))
    if not decides and not callable(getattr(value, "prune", None)):
        raise ConfigError(field, f"must be a pruner such as nntune.pruners.MedianPruner(), got {value!r}")
    if not decides and getattr(type(value), "prune", None) is BasePruner.prune:
        # Optuna's BasePruner is abstract: such a subclass cannot even be made there.
        raise ConfigError(field, f"{type(value).__name__} subclasses BasePruner but defines no "
                                 "prune(study, trial)")
    return value


def _check_int(name: str, value: Any, least: int) -> int:
    """``value`` as Python's int ``>= least`` (numpy's integers too; a bool is no count)."""
    return check_count(name, value, least)


class PercentilePruner(BasePruner):
    """Stop a trial whose best value so far is outside the best ``percentile`` of the
    complete trials' values at the same step. Unlike Optuna, a complete trial that reported
    NaN or infinity at a step has no value there (a stored curve keeps finite values only):
    it is not counted towards ``n_min_trials`` and an infinity does not enter the percentile."""

    def __init__(self, percentile: float, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1) -> None:
        if isinstance(percentile, bool) or not isinstance(percentile, numbers.Real) or not 0 <= percentile <= 100:
            raise ConfigError("percentile", f"must be a number in [0, 100], got {percentile!r}")
        self.percentile = float(percentile)
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = _check_int("n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int("interval_steps", interval_steps, 1)
        self.n_min_trials = _check_int("n_min_trials", n_min_trials, 1)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if not first_in_interval(step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        complete = [t for t in history if t.state == TrialState.COMPLETE and t.number != trial.number]
        if not complete or len(complete) < self.n_startup_trials:
            return Decision.CONTINUE
        best = best_of_curve(trial.intermediate_values, direction)
        if math.isnan(best):
            return Decision.STOP
        others = [t.intermediate_values[step] for t in complete if step in t.intermediate_values]
        cut = percentile_cut(others, self.percentile, direction, self.n_min_trials)
        return Decision.STOP if worse_than(best, cut, direction) else Decision.CONTINUE

    def __repr__(self) -> str:
        # As the call that makes it: MedianPruner takes no percentile.
        head = "" if isinstance(self, MedianPruner) else f"percentile={self.percentile:g}, "
        tail = "" if self.n_min_trials == 1 else f", n_min_trials={self.n_min_trials}"
        return (f"{type(self).__name__}({head}n_startup_trials={self.n_startup_trials}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps}{tail})")


class MedianPruner(PercentilePruner):
    """``PercentilePruner(50.0, ...)``: stop a trial worse than the median at its step."""

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1, *,
                 n_min_trials: int = 1) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials)


class NopPruner(NoScheduler, BasePruner):
    """Never prunes."""

    def __repr__(self) -> str:
        return "NopPruner()"


def _bound(name: str, value: Any) -> float:
    """A threshold as a number (Optuna takes anything ``float`` converts); NaN is refused,
    since no value is ever outside a NaN bound and nothing would be pruned by it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(name, f"must be a number, got {value!r}") from None
    if math.isnan(number):
        raise ConfigError(name, f"must be a number, got {value!r}")
    return number


class ThresholdPruner(BasePruner):
    """Stop a trial whose latest value is NaN or outside [lower, upper]."""

    def __init__(self, lower: float | None = None, upper: float | None = None, n_warmup_steps: int = 0,
                 interval_steps: int = 1) -> None:
        if lower is None and upper is None:
            raise ConfigError("lower", "give lower, upper or both")
        self.lower = -math.inf if lower is None else _bound("lower", lower)
        self.upper = math.inf if upper is None else _bound("upper", upper)
        if self.lower > self.upper:
            raise ConfigError("lower", f"lower ({self.lower:g}) must not exceed upper ({self.upper:g})")
        self.n_warmup_steps = _check_int("n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int("interval_steps", interval_steps, 1)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if not first_in_interval(step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        return Decision.STOP if outside(trial.intermediate_values.get(step), self.lower, self.upper) \
            else Decision.CONTINUE

    def __repr__(self) -> str:
        bounds = [f"{n}={v!r}" for n, v in (("lower", self.lower), ("upper", self.upper)) if math.isfinite(v)]
        bounds = bounds or ["lower=float('-inf')"]  # prunes NaN alone
        return (f"ThresholdPruner({', '.join(bounds)}, n_warmup_steps={self.n_warmup_steps}, "
                f"interval_steps={self.interval_steps})")


class PatientPruner(BasePruner):
    """Ask ``wrapped_pruner`` (or stop, when None) only once the curve has not improved by
    more than ``min_delta`` for ``patience`` reports. The wrapped pruner may be nntune's or
    one written for Optuna (``prune(study, trial)`` only): then this one is asked through
    ``prune`` too, since only there is the study at hand.

    Successive halving and Hyperband wrapped here see every trial as Optuna's do: only at
    the reports where its curve had stalled, so a rung holds the trials consulted past it,
    with their values there. The trial asking is replayed in report order (a late report of
    an earlier step can make its curve stall: the wrapped pruner then judges every rung
    up to its highest step); the other trials' stored curves are read in step order."""

    def __init__(self, wrapped_pruner: Any, patience: int, min_delta: float = 0.0) -> None:
        # Checked here: otherwise the first stalled curve raises mid-trial (AttributeError,
        # or a TypeError for the class itself, whose decide is an unbound function).
        self.wrapped_pruner = check_pruner(wrapped_pruner, "wrapped_pruner")
        self.patience = _check_int("patience", patience, 0)
        if isinstance(min_delta, bool) or not (isinstance(min_delta, numbers.Real) and min_delta >= 0):
            raise ConfigError("min_delta", f"must be a number >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)

    def __repr__(self) -> str:
        return f"PatientPruner({self.wrapped_pruner!r}, patience={self.patience}, min_delta={self.min_delta!r})"

    def _asks_prune(self) -> bool:
        return self.wrapped_pruner is not None and not callable(getattr(self.wrapped_pruner, "decide", None))

    # What a trial asks of its study's scheduler besides decisions is the wrapped one's: a
    # cost-aware ASHA needs each report's seconds, the curve scheduler keeps its predictions.
    @property
    def cost_aware(self) -> bool:
        return bool(getattr(self.wrapped_pruner, "cost_aware", False))

    @property
    def annotation(self) -> Callable[[int], dict[str, Any] | None]:
        found = getattr(self.wrapped_pruner, "annotation", None)
        if found is None:
            raise AttributeError("annotation")
        return found  # type: ignore[no-any-return]

    @property
    def decide(self) -> Callable[[FrozenTrial, int, Sequence[FrozenTrial], Direction], Decision]:
        # Absent (AttributeError) when the wrapped pruner has only prune(study, trial), so a
        # trial asks this one through prune, with the study the wrapped one needs.
        if self._asks_prune():
            raise AttributeError("decide")
        return self._decide

    def _decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
                direction: Direction) -> Decision:
        if not stalled(trial.intermediate_values, self.patience, self.min_delta, direction):
            return Decision.CONTINUE
        if self.wrapped_pruner is None:
            return Decision.STOP
        if isinstance(self.wrapped_pruner, (ASHA, Hyperband)):
            # An "auto" resource is read from the complete trials' whole curves, as in Optuna.
            resolve = getattr(self.wrapped_pruner, "resolve_auto", None)
            if resolve is not None and not resolve(history):
                return Decision.CONTINUE
            view = consulted_view(trial, step, self.patience, self.min_delta, direction)
            if view is None:
                return Decision.CONTINUE
            trial = view
            history = ConsultedHistory(history, trial.number, self.patience, self.min_delta, direction)
        return self.wrapped_pruner.decide(trial, step, history, direction)  # type: ignore[no-any-return]

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        if not self._asks_prune():
            return super().prune(study, trial)
        if trial.last_step is None or not stalled(trial.intermediate_values, self.patience, self.min_delta,
                                                  study.directions[0]):
            return False
        return bool(self.wrapped_pruner.prune(study, trial))


class ConsultedHistory(Sequence[FrozenTrial]):
    """The trials other than ``own`` as successive halving wrapped in a :class:`PatientPruner`
    must see them: each curve only at its consulted steps (:func:`consulted_steps`). Optuna's
    rungs hold a trial only once it was consulted past them, with its value at that step;
    with whole curves, every trial that never stalled (most complete ones) was a member of
    every rung at its value there, and the rungs kept other trials than Optuna's. Read
    lazily: halving looks at the history only when a rung is crossed."""

    def __init__(self, history: Sequence[FrozenTrial], own: int, patience: int, min_delta: float,
                 direction: Direction) -> None:
        self._history, self._own = history, own
        self._rule = (patience, min_delta, direction)

    def _view(self, trial: FrozenTrial) -> FrozenTrial:
        if trial.number == self._own:
            return trial
        curve = trial.intermediate_values
        return dataclasses.replace(trial, intermediate_values={s: curve[s] for s in consulted_steps(curve, *self._rule)})

    def __len__(self) -> int:
        return len(self._history)

    def __getitem__(self, index: Any) -> Any:
        found = self._history[index]
        return [self._view(t) for t in found] if isinstance(index, slice) else self._view(found)

    def __iter__(self) -> Iterator[FrozenTrial]:
        return (self._view(t) for t in self._history)


def complete_steps(history: Sequence[FrozenTrial]) -> int | None:
    """The last step of the longest complete trial that reported (None: none yet); what
    Optuna's "auto" resources are read from. The longest, not the first: trials added or
    finished by other workers before the first look may have run further."""
    steps = [t.last_step for t in history if t.state == TrialState.COMPLETE and t.last_step is not None]
    return max(steps) if steps else None


def _check_bootstrap(bootstrap_count: Any, auto: bool, resource: str) -> int:
    """Optuna's ``bootstrap_count``: an integer >= 0, and 0 when the resources are "auto"
    (the first rung is not known before a trial completes)."""
    count = _check_int("bootstrap_count", bootstrap_count, 0)
    if count and auto:
        raise ConfigError("bootstrap_count", f"must be 0 with {resource}='auto' (as in Optuna), got {count}")
    return count


class SuccessiveHalvingPruner(ASHA, BasePruner):
    """Asynchronous successive halving (nntune's ASHA) under Optuna's argument names. With
    ``min_resource="auto"`` nothing is pruned until a trial completes; the first rung is
    then a hundredth of the longest complete trial's steps (at least one), as in Optuna.
    The trials that ran before are members of the rungs their curves reached, so the second
    trial is already compared with the first (Optuna's rungs hold only the trials judged
    after the estimate). ``bootstrap_count``: as in Optuna, the first that many trials to reach a rung stop there
    (no trial waits for a rung to fill). Unlike Optuna's, which stops only a NaN, a value of
    NaN or either infinity at a rung stops the trial: a loss of minus infinity is a broken
    run, not the best one."""

    def __init__(self, min_resource: int | str = "auto", reduction_factor: int = 4,
                 min_early_stopping_rate: int = 0, bootstrap_count: int = 0) -> None:
        self.min_early_stopping_rate = _check_int("min_early_stopping_rate", min_early_stopping_rate, 0)
        # Checked before the first rung is computed from it, so the error names this argument.
        _check_int("reduction_factor", reduction_factor, 2)
        self._auto = min_resource == "auto"
        self.bootstrap_count = _check_bootstrap(bootstrap_count, self._auto, "min_resource")
        base = 1 if self._auto else _check_int("min_resource", min_resource, 1)
        super().__init__(min_resource=base * reduction_factor ** min_early_stopping_rate, max_resource=None,
                         reduction_factor=reduction_factor)

    def __repr__(self) -> str:
        base = "'auto'" if self._auto else self.min_resource // self.reduction_factor ** self.min_early_stopping_rate
        return (f"SuccessiveHalvingPruner(min_resource={base}, reduction_factor={self.reduction_factor}, "
                f"min_early_stopping_rate={self.min_early_stopping_rate}, bootstrap_count={self.bootstrap_count})")

    def resolve_auto(self, history: Sequence[FrozenTrial]) -> bool:
        """Whether the first rung is known, estimating it from ``history`` if it is "auto"."""
        if self._auto:
            steps = complete_steps(history)
            if steps is None:
                return False
            self.min_resource = max(steps // 100, 1) * self.reduction_factor ** self.min_early_stopping_rate
            self._auto = False
        return True

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if not self.resolve_auto(history):
            return Decision.CONTINUE
        return super().decide(trial, step, history, direction)


class HyperbandPruner(Hyperband, BasePruner):
    """nntune's Hyperband under Optuna's argument names. With ``max_resource="auto"``
    nothing is pruned until a trial completes; the longest complete trial's last step plus
    one is then the budget, as in Optuna, and the trials that ran before are members of the
    rungs their curves reached. A trial that trains past the budget is halved at its
    bracket's rungs past it too, as in Optuna. ``bootstrap_count`` as
    :class:`SuccessiveHalvingPruner`'s, within each bracket, and a non-finite value stops a
    trial as there. Trials are dealt to brackets from ``seed`` (Optuna hashes the study's
    name): share it between processes that share a study."""

    def __init__(self, min_resource: int = 1, max_resource: int | str = "auto", reduction_factor: int = 3,
                 bootstrap_count: int = 0, *, seed: int | None = 0) -> None:
        self.bootstrap_count = _check_bootstrap(bootstrap_count, max_resource == "auto", "max_resource")
        drawn = resolve_seed(seed)  # None: drawn once, so every bracket comes from one seed
        if drawn < 0:  # refused here: with max_resource="auto" Hyperband is built mid-trial
            raise ConfigError("seed", f"must be an integer >= 0, got {seed!r}")
        self._args = (_check_int("min_resource", min_resource, 1), _check_int("reduction_factor", reduction_factor, 2),
                      drawn)
        self._ready = max_resource != "auto"
        if self._ready:
            if _check_int("max_resource", max_resource, 1) < min_resource:
                # An "auto" budget below min_resource lowers the first rung to it; one given is a mistake.
                raise ConfigError("max_resource", f"must be >= min_resource ({min_resource}), got {max_resource!r}")
            self._setup(max_resource)  # type: ignore[arg-type]

    def _setup(self, max_resource: int) -> None:
        min_resource, reduction_factor, seed = self._args
        Hyperband.__init__(self, min_resource=min(min_resource, max_resource), max_resource=max_resource,
                           reduction_factor=reduction_factor, seed=seed)
        self._ready = True

    def resolve_auto(self, history: Sequence[FrozenTrial]) -> bool:
        """Whether the budget is known, reading it from ``history`` if it is "auto"."""
        if not self._ready:
            steps = complete_steps(history)
            if steps is None:
                return False
            self._setup(steps + 1)
        return True

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if not self.resolve_auto(history):
            return Decision.CONTINUE
        return super().decide(trial, step, history, direction)

    def rungs(self, bracket: Bracket, upto: float | None = None) -> list[int]:
        """The bracket's rungs up to ``upto`` (a trial's position), past ``max_resource`` too,
        as Optuna's: a trial that trains longer than the budget (one read from a first
        complete trial that stopped early, under "auto") is still halved at its bracket's
        next rungs, not left to run unjudged."""
        below = self.max_resource if upto is None else max(self.max_resource, math.floor(upto) + 1)
        return rung_steps(bracket.min_resource, self.reduction_factor, below)

    def plan_budget(self, seconds: float | None) -> None:
        # Before the first complete trial there are no brackets to give the budget to, and
        # this Hyperband, not cost-aware, judges by epochs alone.
        if self._ready:
            super().plan_budget(seconds)

    def describe(self, trial: FrozenTrial) -> dict[str, Any]:
        return super().describe(trial) if self._ready else {}

    def __repr__(self) -> str:
        budget = self.max_resource if self._ready else "'auto'"
        min_resource, reduction_factor, seed = self._args
        return (f"HyperbandPruner(min_resource={min_resource}, max_resource={budget}, "
                f"reduction_factor={reduction_factor}, bootstrap_count={self.bootstrap_count}, seed={seed})")
