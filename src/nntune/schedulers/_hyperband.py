"""Hyperband: several successive-halving brackets, from aggressive to none (Li et al.).

Bracket ``s`` (``s_max`` down to 0) starts ``n = ceil((s_max + 1) / (s + 1) * eta**s)``
configurations at ``r = max_resource * eta**-s`` epochs and keeps the best 1/eta at each
rung: bracket ``s_max`` tries many configurations briefly, bracket 0 trains a few for the
full budget. That hedges against a curve whose early ranking misleads.

Each bracket runs as asynchronous successive halving (the ASHA form of Hyperband): trials
are judged only against trials of their own bracket, at the bracket's rungs, without
waiting for a rung to fill, so it works with any number of workers. A trial's bracket is a
pure function of its number and the seed: trial numbers are dealt out in cycles of
``sum(n)`` slots, each cycle a seeded shuffle holding ``n`` slots of each bracket, so the
brackets get the paper's shares of trials and every worker agrees on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.schedulers._asha import (StopRecords, check_resources, cost_aware_decision, halving_decision,
                                     rung_index, rung_steps, stopped_at)
from nntune.schedulers._rungs import (DEFAULT_MIN_COST_FACTOR, check_compare, check_cost_options, search_budget,
                                      unjudged_too_long)
from nntune.samplers._base import resolve_seed
from nntune.schedulers._base import Decision
from nntune.schedulers._options import check_flag
from nntune.trial import Direction, FrozenTrial


@dataclass(frozen=True)
class Bracket:
    """One bracket: ``n_configs`` trials started at ``min_resource`` epochs. ``index`` is
    the paper's ``s``: the number of halvings before a trial reaches the full budget."""

    index: int
    n_configs: int
    min_resource: int


def _s_max(max_resource: int, eta: int, min_resource: int) -> int:
    s, r = 0, min_resource
    while r * eta <= max_resource:
        s, r = s + 1, r * eta
    return s


def brackets(max_resource: int, eta: int, min_resource: int = 1) -> list[Bracket]:
    """The brackets, most aggressive first. ``s_max`` is the largest ``s`` with
    ``min_resource * eta**s <= max_resource``; bracket ``s`` starts at
    ``min_resource * eta**(s_max - s)`` epochs (the paper's ``R * eta**-s`` when
    ``max_resource / min_resource`` is a power of ``eta``)."""
    if max_resource is None:  # ASHA's "no budget" has no brackets to split it into
        raise ConfigError("max_resource", "must be an integer, got None")
    min_resource, max_resource, eta = check_resources(min_resource, max_resource, eta)  # type: ignore[assignment]
    s_max = _s_max(max_resource, eta, min_resource)
    out = []
    for s in range(s_max, -1, -1):
        n = -(-((s_max + 1) * eta ** s) // (s + 1))  # exact ceil((s_max+1)/(s+1) * eta^s)
        out.append(Bracket(index=s, n_configs=n, min_resource=min_resource * eta ** (s_max - s)))
    return out


def halvings(bracket: Bracket, max_resource: int, eta: int) -> list[tuple[int, int]]:
    """The bracket's synchronous schedule ``[(n_i, r_i)]``: ``n_i = floor(n * eta**-i)``
    configurations trained ``r_i`` epochs each, the last round at ``max_resource``."""
    rungs = [*rung_steps(bracket.min_resource, eta, max_resource), max_resource]
    return [(bracket.n_configs // eta ** i, r) for i, r in enumerate(rungs)]


class Hyperband(StopRecords):
    """``Hyperband(min_resource=1, max_resource=81, reduction_factor=3)``: five brackets
    starting at 1, 3, 9, 27 and 81 epochs. Every trial may train ``max_resource`` epochs
    (the budget the trainer should be given); the brackets decide who stops earlier.
    Share ``seed`` between processes that share a study so they agree on the brackets.
    ``compare``, ``cost_aware``, ``budget_seconds``, ``max_unjudged_share``,
    ``spare_leaders`` and ``min_cost_factor`` as :class:`ASHA`'s: under ``cost_aware`` a
    trial meets its bracket's rungs by the time it spent (its epochs times its cost factor against the
    study's median epoch, over every bracket), and a trial nothing can be compared with
    yet stops after its share of the budget, whatever its bracket (bracket 0 included)."""

    bootstrap_count = 0  # HyperbandPruner's Optuna option (halving_decision's bootstrap)

    def __init__(self, min_resource: int = 1, max_resource: int = 81, reduction_factor: int = 3,
                 seed: int = 0, *, compare: str = "last", cost_aware: bool = False,
                 budget_seconds: float | None = None, max_unjudged_share: float = 0.25,
                 spare_leaders: bool = True, min_cost_factor: float = DEFAULT_MIN_COST_FACTOR) -> None:
        check_compare(compare)
        check_cost_options(budget_seconds, max_unjudged_share, min_cost_factor)
        self.compare = compare
        self.cost_aware = check_flag("cost_aware", cost_aware)
        self.budget_seconds = budget_seconds
        self._given_budget = budget_seconds
        self.max_unjudged_share = float(max_unjudged_share)
        self.spare_leaders = check_flag("spare_leaders", spare_leaders)
        self.min_cost_factor = float(min_cost_factor)
        self.brackets = brackets(max_resource, reduction_factor, min_resource)
        min_resource, max_resource, reduction_factor = check_resources(  # type: ignore[assignment]
            min_resource, max_resource, reduction_factor)
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.seed = resolve_seed(seed)  # an integer, or one drawn for this scheduler
        if self.seed < 0:  # numpy's generators take none, and the first trial would fail on it
            raise ConfigError("seed", f"must be an integer >= 0, got {seed!r}")
        self._slots = np.repeat([b.index for b in self.brackets], [b.n_configs for b in self.brackets])
        self._cycles: dict[int, np.ndarray] = {}

    def bracket_of(self, number: int) -> Bracket:
        """The bracket of trial ``number`` (a pure function of the number and the seed)."""
        cycle, position = divmod(int(number), len(self._slots))
        if cycle not in self._cycles:
            self._cycles[cycle] = np.random.default_rng([self.seed, cycle]).permutation(self._slots)
        s = int(self._cycles[cycle][position])
        return next(b for b in self.brackets if b.index == s)

    def rungs(self, bracket: Bracket, upto: float | None = None) -> list[int]:
        """The steps where trials of ``bracket`` are judged (none for bracket 0); ``upto``,
        the position a trial has reached, matters only to :class:`HyperbandPruner`."""
        return rung_steps(bracket.min_resource, self.reduction_factor, self.max_resource)

    def plan_budget(self, seconds: float | None) -> None:
        """Take the search's time budget if none was given (as :meth:`ASHA.plan_budget`)."""
        self.budget_seconds = search_budget(self._given_budget, seconds)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        bracket = self.bracket_of(trial.number)
        def peers() -> Iterator[FrozenTrial]:
            for t in history:  # runs once halving_decision looks, at a rung: the read waits
                if self.bracket_of(t.number) == bracket:
                    yield t

        stops: dict[str, int] = {}
        ladder = (bracket.min_resource, self.reduction_factor)
        if not self.cost_aware:
            decision = halving_decision(trial, step, peers(), self.rungs(bracket, step), self.reduction_factor,
                                        direction, compare=self.compare, stops=stops,
                                        bootstrap=self.bootstrap_count, ladder=ladder)
            return self._keep_stop(trial.number, decision, stops.get("rung"), ladder)
        if unjudged_too_long(trial, history, self.budget_seconds, self.max_unjudged_share, self.min_resource):
            return Decision.STOP
        decision = cost_aware_decision(trial, step, history, peers, lambda position: self.rungs(bracket, position),
                                       self.reduction_factor, direction, spare_leaders=self.spare_leaders,
                                       min_cost_factor=self.min_cost_factor, compare=self.compare, stops=stops,
                                       bootstrap=self.bootstrap_count, ladder=ladder)
        return self._keep_stop(trial.number, decision, stops.get("rung"), ladder)

    def rung_of(self, trial: FrozenTrial) -> int | None:
        """The highest rung of its bracket ``trial`` reached (where a pruned trial stopped)."""
        bracket = self.bracket_of(trial.number)
        return rung_index(trial.last_step, self.rungs(bracket, trial.last_step),
                          stopped_at(trial, (bracket.min_resource, self.reduction_factor)))

    def describe(self, trial: FrozenTrial) -> dict[str, Any]:
        """Plain data for reports: ``{"bracket": s, "rung": k, "rung_step": epochs}``."""
        bracket = self.bracket_of(trial.number)
        out: dict[str, Any] = {"bracket": bracket.index}
        k = self.rung_of(trial)
        if k is not None:
            out.update(rung=k, rung_step=self.rungs(bracket, trial.last_step)[k])
        return out

    def __repr__(self) -> str:
        return (f"Hyperband(min_resource={self.min_resource}, max_resource={self.max_resource}, "
                f"reduction_factor={self.reduction_factor}, seed={self.seed}"
                + ("" if self.compare == "last" else f", compare={self.compare!r}")
                + (", cost_aware=True" if self.cost_aware else "") + ")")
