"""Asynchronous successive halving (ASHA): at each rung keep the best 1/eta, stop the rest.

Rungs sit at ``min_resource * eta**k`` steps (epochs). A trial that reaches a rung goes on
only if its value there is among the best ``max(1, n // eta)`` of the ``n`` values recorded
at that rung so far, its own included. The first arrivals at a rung go on when they are the
best so far, so no trial waits for a rung to fill: that is what makes it asynchronous and
lets any number of workers share a study.

Everything is read from stored data. A trial's value at a rung is its value at the first
reported step at or past the rung. One report may pass several rungs (reports every few
epochs, steps that do not start at 0); the trial is judged at each in turn, as in Optuna,
and one stopped at the lower of them is no member of the higher ones: the rung where it
stopped is kept with it (system attribute :data:`STOPPED_AT`), else it would fill rungs it
never reached and make them keep more trials than they should. With it the ladder of
rungs it was stopped on (:data:`STOPPED_LADDER`, the first rung and the reduction factor):
a scheduler with other rungs (the study's pruner changed since) reads the trial by its
curve alone, as a member of every rung the curve reached.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from nntune.exceptions import ConfigError
from nntune.schedulers._options import check_count, check_flag
from nntune.schedulers._base import Decision
from nntune.schedulers._rungs import (DEFAULT_MIN_COST_FACTOR, check_compare, check_cost_options, compared_curve,
                                      cost_scale, leads_by_epochs, promotable, rung_value, search_budget,
                                      unjudged_too_long)
from nntune.schedulers._robust import epoch_noise, rank_grace
from nntune.trial import Direction, FrozenTrial, TrialState


def as_integer(name: str, value: Any) -> int:
    """``value`` as Python's int: numpy's integers are integers too (``np.arange`` gives
    them), while a bool, ``2.5`` or ``"3"`` is a one-line error naming ``name``."""
    if isinstance(value, bool):
        raise ConfigError(name, f"must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ConfigError(name, f"must be an integer, got {value!r}") from None


def check_resources(min_resource: int, max_resource: int | None,
                    reduction_factor: int) -> tuple[int, int | None, int]:
    """``(min_resource, max_resource, reduction_factor)`` as ints; a :class:`ConfigError`
    unless 1 <= min_resource <= max_resource and eta >= 2."""
    min_resource = as_integer("min_resource", min_resource)
    reduction_factor = as_integer("reduction_factor", reduction_factor)
    if min_resource < 1:
        raise ConfigError("min_resource", f"must be >= 1, got {min_resource}")
    if reduction_factor < 2:
        raise ConfigError("reduction_factor", f"must be >= 2, got {reduction_factor}")
    if max_resource is not None:
        max_resource = as_integer("max_resource", max_resource)
        if max_resource < min_resource:
            raise ConfigError("max_resource", f"must be >= min_resource ({min_resource}), "
                                              f"got {max_resource}")
    return min_resource, max_resource, reduction_factor


STOPPED_AT = "stopped_at_rung"  # system attribute: the rung (step or position) a trial stopped at
STOPPED_LADDER = "stopped_ladder"  # system attribute: [first rung, reduction factor] it stopped on
# Given with a live trial to its scheduler, not stored: its highest step when the scheduler
# was last asked (-1: never), so that the rungs passed since are the ones judged.
ASKED_STEP = "asked_at_step"

Ladder = tuple[int, int]  # a ladder of rungs: the first rung and the reduction factor


def stopped_at(trial: FrozenTrial, ladder: Ladder | None = None) -> float:
    """The rung where successive halving stopped ``trial`` (infinity: it did not, or it
    stopped before that was recorded, so it counts at every rung its curve reaches). Only a
    pruned trial has one: a trial that trained on when told to stop, or that was run
    again, was judged at the rungs after it too. Infinity as well when the trial was stopped
    on another ``ladder`` than the one asked about: a pruner with other rungs than the one
    that stopped it (the study's pruner was changed) never judged it, and its step at an
    old rung says nothing of the new ones."""
    if trial.state != TrialState.PRUNED:
        return math.inf
    kept = trial.system_attrs.get(STOPPED_LADDER)
    if ladder is not None and isinstance(kept, (list, tuple)) and tuple(kept) != tuple(ladder):
        return math.inf
    rung = trial.system_attrs.get(STOPPED_AT)
    return float(rung) if isinstance(rung, (int, float)) and not isinstance(rung, bool) else math.inf


class StopRecords:
    """Where this scheduler stopped each trial, until the trial stores it with its record
    (the study asks :meth:`annotation` after each decision and keeps what it gives)."""

    def _stopped(self) -> dict[int, int]:
        # Made on first use: HyperbandPruner builds its Hyperband only once a trial completes.
        return self.__dict__.setdefault("_stopped_rungs", {})  # type: ignore[no-any-return]

    def _keep_stop(self, number: int, decision: Decision, rung: int | None, ladder: Ladder) -> Decision:
        if decision == Decision.STOP and rung is not None:
            self._stopped()[number] = (rung, ladder)
        return decision

    def annotation(self, number: int) -> dict[str, Any] | None:
        found = self._stopped().pop(number, None)
        return None if found is None else {STOPPED_AT: found[0], STOPPED_LADDER: list(found[1])}


def rung_steps(min_resource: int, eta: int, below: int) -> list[int]:
    """The rungs ``min_resource * eta**k`` strictly below ``below`` (a trial that has
    trained ``max_resource`` steps is done, so no rung sits there)."""
    out: list[int] = []
    r = min_resource
    while r < below:
        out.append(r)
        r *= eta
    return out


def reported_late(curve: Mapping[int, float], step: int) -> bool:
    """Whether the latest report (the last entry of ``curve``: a live trial's curve is in
    report order) is at a step below ``step``, the highest one: a report that moved the
    trial no further, so it passed no rung (Optuna's halving, asked again at the same
    highest step, has no rung left to judge)."""
    latest = next(reversed(curve), None) if curve else None
    return step in curve and latest is not None and latest < step


def asked_step(trial: FrozenTrial) -> int | None:
    """The highest step ``trial`` had reached when its scheduler was last asked (-1: never
    asked), as a live trial gives it (:data:`ASKED_STEP`); None when not known."""
    found = trial.system_attrs.get(ASKED_STEP)
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def crossed_rungs(curve: Mapping[int, float], step: int, rungs: Iterable[int],
                  scale: float = 1.0, since: int | None = None) -> list[int]:
    """The rungs a trial passed since it was last judged: those above the position of
    ``since`` (the highest step when it was last asked, -1 if never) and at or below
    ``step``'s (positions are ``step * scale``). A trial asked every few reports is judged
    at every rung it passed in between, as in Optuna. Without ``since``, the previous
    reported step stands for it. Each rung is judged once, when first reached: a late report
    of an earlier step (step 5, then step 3) passes none, and the rungs up to step 5 are
    not judged again."""
    if since is not None:
        return [r for r in rungs if since * scale < r <= step * scale] if since < step else []
    if reported_late(curve, step):
        return []
    previous = max((s for s in curve if s < step), default=None)
    low = -1.0 if previous is None else previous * scale
    return [r for r in rungs if low < r <= step * scale]


def halving_decision(trial: FrozenTrial, step: int, peers: Iterable[FrozenTrial],
                     rungs: Sequence[int], eta: int, direction: Direction, *, compare: str = "last",
                     scale: Callable[[FrozenTrial], float] | None = None,
                     first_eta: int | None = None,
                     margin: float | Callable[[], float] = 0.0,
                     stops: dict[str, int] | None = None, bootstrap: int = 0,
                     ladder: Ladder | None = None) -> Decision:
    """Successive halving at the rungs ``trial`` just crossed, against ``peers``' values
    there (the trial itself is skipped among the peers; its own curve comes from ``trial``).

    ``compare`` chooses the value a rung reads (:func:`compared_curve`); ``scale`` gives a
    trial's cost factor, so that its position at step ``s`` is ``s * scale(trial)``;
    ``first_eta`` the reduction factor at the first rung (``eta`` when ``None``);
    ``margin`` how far behind the last kept value a trial may be and still go on (a
    callable is asked only when a rung is crossed: it may read the whole history);
    ``stops["rung"]`` is set to the rung where the trial stops. A peer stopped at a lower
    rung (:func:`stopped_at`, on this ``ladder`` of rungs) is no member of the higher ones.
    ``bootstrap``: as Optuna's ``bootstrap_count``, a trial among the first ``bootstrap`` to
    reach a rung stops there (no trial waits for a rung to fill, so they cannot be judged
    later). The rungs judged are those passed since the trial was last asked
    (:func:`crossed_rungs`, :data:`ASKED_STEP`)."""
    curve = dict(trial.intermediate_values)
    own_scale = 1.0 if scale is None else scale(trial)
    crossed = crossed_rungs(curve, step, rungs, own_scale, asked_step(trial))
    if not crossed:
        return Decision.CONTINUE
    others = [(compared_curve(p.intermediate_values, compare, direction), 1.0 if scale is None else scale(p),
               stopped_at(p, ladder)) for p in peers if p.number != trial.number]
    # Its own value at each rung as the peers' are read (the first report at or past it): a
    # trial asked every few reports is judged at each rung it passed by its value there.
    own_curve = compared_curve(curve, compare, direction) if step in curve else {}
    margin = margin() if callable(margin) else margin
    for rung in crossed:
        own = rung_value(own_curve, rung, own_scale)
        own = math.nan if own is None else own
        values = [v for v in (rung_value(c, rung, f) for c, f, stop in others if rung <= stop) if v is not None]
        k = first_eta if first_eta is not None and rungs and rung == rungs[0] else eta
        if len(values) + 1 <= bootstrap or not promotable([*values, own], own, k, direction, margin):
            if stops is not None:
                stops["rung"] = rung
            return Decision.STOP
    return Decision.CONTINUE


def cost_aware_decision(trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
                        peers: Callable[[], Iterable[FrozenTrial]], rungs: Callable[[float], Sequence[int]],
                        eta: int, direction: Direction, *, spare_leaders: bool, min_cost_factor: float,
                        compare: str = "last", **options: Any) -> Decision:
    """Successive halving by time spent: a trial's position is its epochs times its cost
    factor (:func:`cost_scale` over ``history``, counted only from ``min_cost_factor``).
    ``peers()`` gives the trials it is compared with, ``rungs(position)`` the rungs up to a
    position, ``options`` :func:`halving_decision`'s. With ``spare_leaders`` a costly trial
    that its time's rungs would stop goes on while it leads its peers at its own epochs
    (:func:`leads_by_epochs`)."""
    scale = cost_scale(trial, history, min_cost_factor)
    timed = halving_decision(trial, step, peers(), rungs(step * scale(trial)), eta, direction,
                             compare=compare, scale=scale, **options)
    if timed == Decision.STOP and spare_leaders and scale(trial) > 1 \
            and leads_by_epochs(trial, step, peers(), direction, compare):
        return Decision.CONTINUE
    return timed


def rung_index(last_step: int | None, rungs: Sequence[int], stop: float = math.inf) -> int | None:
    """Index of the highest rung at or below ``last_step`` and ``stop`` (the rung where the
    trial was stopped, :func:`stopped_at`); ``None`` below the first."""
    if last_step is None:
        return None
    reached = [k for k, r in enumerate(rungs) if r <= last_step and r <= stop]
    return reached[-1] if reached else None


class ASHA(StopRecords):
    """Asynchronous successive halving.

    ``ASHA(min_resource=1, max_resource=27, reduction_factor=3)`` judges trials at epochs 1,
    3 and 9 and lets the best third of each rung go on; a trial that passes every rung trains
    its full ``max_resource`` epochs (the budget the trainer should be given). With
    ``max_resource=None`` the rungs go on for as long as trials report.

    ``compare``: the value a rung reads, ``last`` (the value at the step), ``best`` (best so
    far) or ``smoothed`` (mean of the last two reports). ``cost_aware``: a trial's position
    is its epochs times how many of the study's median epochs one of its epochs costs, so an
    expensive trial meets the rungs early; and a trial no other has been compared with yet
    stops once it has spent ``max_unjudged_share`` of ``budget_seconds`` (the study's time
    budget; ``Study.optimize(timeout=...)`` sets it when it is ``None``). Seconds are those
    the trials' reports record (``elapsed_s``, by the study's injected clock). Only a trial
    whose epochs cost at least ``min_cost_factor`` (4) of the median is judged by its time.
    With ``spare_leaders`` such a trial goes on when its time's rungs would stop it but it
    leads its peers at its own epochs (:func:`nntune.schedulers._rungs.leads_by_epochs`):
    where cost and quality go together (wide layers), the expensive configurations are the
    good ones.

    A less eager first rung: ``first_reduction_factor`` keeps the best ``1/k`` there (2:
    half) and ``reduction_factor`` at the later rungs; ``noise_margin`` stops a trial only
    when it is behind the last kept value by more than that many times the epoch-to-epoch
    noise of the study's own curves (:func:`nntune.schedulers._robust.epoch_noise`);
    ``auto_grace`` puts the first rung at the first epoch whose values rank the study's
    finished trials as their final values do (Spearman's rho at least ``min_rank_corr``,
    :func:`nntune.schedulers._robust.rank_grace`), at ``min_resource`` until five have
    finished, and past the budget (no stopping) when no epoch does.
    """

    bootstrap_count = 0  # SuccessiveHalvingPruner's Optuna option (halving_decision's bootstrap)

    def __init__(self, min_resource: int = 1, max_resource: int | None = None,
                 reduction_factor: int = 3, *, compare: str = "last", cost_aware: bool = False,
                 budget_seconds: float | None = None, max_unjudged_share: float = 0.25,
                 spare_leaders: bool = True, min_cost_factor: float = DEFAULT_MIN_COST_FACTOR,
                 first_reduction_factor: int | None = None, noise_margin: float = 0.0,
                 auto_grace: bool = False, min_rank_corr: float = 0.6) -> None:
        min_resource, max_resource, reduction_factor = check_resources(min_resource, max_resource, reduction_factor)
        check_compare(compare)
        if first_reduction_factor is not None:
            first_reduction_factor = check_count("first_reduction_factor", first_reduction_factor, 2)
        if isinstance(noise_margin, bool) or not isinstance(noise_margin, numbers.Real) \
                or not 0 <= noise_margin < math.inf:
            raise ConfigError("noise_margin", f"must be a number >= 0, got {noise_margin!r}")
        if isinstance(min_rank_corr, bool) or not isinstance(min_rank_corr, numbers.Real) \
                or not -1 <= min_rank_corr <= 1:
            raise ConfigError("min_rank_corr", f"must be in [-1, 1], got {min_rank_corr!r}")
        self.first_reduction_factor = first_reduction_factor
        self.noise_margin = float(noise_margin)
        self.auto_grace = check_flag("auto_grace", auto_grace)
        self.min_rank_corr = float(min_rank_corr)
        self._chosen_grace: int | None = None  # the first rung auto_grace chose last
        check_cost_options(budget_seconds, max_unjudged_share, min_cost_factor)
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.compare = compare
        self.cost_aware = check_flag("cost_aware", cost_aware)
        self.budget_seconds = budget_seconds
        self._given_budget = budget_seconds
        self.max_unjudged_share = float(max_unjudged_share)
        self.spare_leaders = check_flag("spare_leaders", spare_leaders)
        self.min_cost_factor = float(min_cost_factor)

    @classmethod
    def for_budget(cls, expected_trials: float, max_resource: int, **options: Any) -> ASHA:
        """An ASHA whose grace period and reduction factor leave about three trials that
        pass every rung when the study runs about ``expected_trials`` trials
        (:func:`nntune.schedulers._rungs.budget_rungs`); ``options`` as the constructor's."""
        from nntune.schedulers._rungs import budget_rungs

        grace, eta = budget_rungs(expected_trials, max_resource, grace=options.pop("min_resource", 1))
        return cls(min(grace, max_resource), max_resource, eta, **options)

    def plan_budget(self, seconds: float | None) -> None:
        """Take the search's time budget if none was given (a cost-aware ASHA caps an
        unjudged trial's share of it), each search its own (:func:`search_budget`)."""
        self.budget_seconds = search_budget(self._given_budget, seconds)

    def rungs(self, upto: int | float | None = None) -> list[int]:
        """The rung steps; without ``max_resource``, those at or below ``upto``."""
        below = self.max_resource if self.max_resource is not None else math.floor(upto or 0) + 1
        return rung_steps(self.grace, self.reduction_factor, below)

    @property
    def grace(self) -> int:
        """The first rung: ``min_resource``, or where ``auto_grace`` last put it."""
        return self._chosen_grace if self.auto_grace and self._chosen_grace is not None else self.min_resource

    @property
    def ladder(self) -> Ladder:
        """The first rung and the reduction factor: what a stop's rung is read against."""
        return (self.grace, self.reduction_factor)

    def _margin(self, history: Sequence[FrozenTrial]) -> float:
        if not self.noise_margin:
            return 0.0
        noise = epoch_noise([t.intermediate_values for t in history])
        return 0.0 if noise is None else self.noise_margin * noise

    def _update_grace(self, history: Sequence[FrozenTrial]) -> None:
        finished = [t for t in history if t.state == TrialState.COMPLETE and t.value is not None
                    and t.intermediate_values]
        horizon = self.max_resource or (max((t.last_step or 0) for t in finished) if finished else 0)
        if horizon < 2:
            self._chosen_grace = None
            return
        self._chosen_grace = rank_grace([t.intermediate_values for t in finished], [float(t.value) for t in finished],
                                horizon, min_corr=self.min_rank_corr, fallback=self.min_resource)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if self.auto_grace:
            self._update_grace(history)
        stops: dict[str, int] = {}
        options: dict[str, Any] = {"compare": self.compare, "first_eta": self.first_reduction_factor,
                                   "margin": lambda: self._margin(history), "stops": stops,
                                   "bootstrap": self.bootstrap_count, "ladder": self.ladder}
        if not self.cost_aware:
            decision = halving_decision(trial, step, history, self.rungs(step), self.reduction_factor,
                                        direction, **options)
            return self._keep_stop(trial.number, decision, stops.get("rung"), self.ladder)
        if unjudged_too_long(trial, history, self.budget_seconds, self.max_unjudged_share, self.grace):
            return Decision.STOP
        decision = cost_aware_decision(trial, step, history, lambda: history, self.rungs, self.reduction_factor,
                                       direction, spare_leaders=self.spare_leaders,
                                       min_cost_factor=self.min_cost_factor, **options)
        return self._keep_stop(trial.number, decision, stops.get("rung"), self.ladder)

    def rung_of(self, trial: FrozenTrial) -> int | None:
        """The highest rung ``trial`` reached: for a pruned trial, the rung where it stopped."""
        return rung_index(trial.last_step, self.rungs(trial.last_step), stopped_at(trial, self.ladder))

    def describe(self, trial: FrozenTrial) -> dict[str, Any]:
        """Plain data for reports: ``{"rung": k, "rung_step": epochs}`` (empty below rung 0)."""
        k = self.rung_of(trial)
        return {} if k is None else {"rung": k, "rung_step": self.rungs(trial.last_step)[k]}

    def __repr__(self) -> str:
        extra = "" if self.compare == "last" else f", compare={self.compare!r}"
        extra += ", cost_aware=True" if self.cost_aware else ""
        extra += ", spare_leaders=False" if self.cost_aware and not self.spare_leaders else ""
        if self.cost_aware and self.min_cost_factor != DEFAULT_MIN_COST_FACTOR:
            extra += f", min_cost_factor={self.min_cost_factor:g}"
        extra += (f", first_reduction_factor={self.first_reduction_factor}"
                  if self.first_reduction_factor is not None else "")
        extra += f", noise_margin={self.noise_margin:g}" if self.noise_margin else ""
        extra += f", auto_grace=True, min_rank_corr={self.min_rank_corr:g}" if self.auto_grace else ""
        return (f"ASHA(min_resource={self.min_resource}, max_resource={self.max_resource}, "
                f"reduction_factor={self.reduction_factor}{extra})")
