"""BOHB: Hyperband's brackets, with new configurations from a model instead of at random.

BOHB is a scheduler and a sampler at once. As a scheduler it is :class:`Hyperband`
(asynchronous brackets). Its :attr:`BOHB.sampler` draws each new configuration from TPE
fitted on the largest budget (epochs) with enough observations: every trial that reported
a value at that budget counts there, pruned and running ones included, because a value
after 9 epochs is comparable only with other values after 9 epochs; trials pruned before
that budget join as pruned, ranked below all of them. A fixed fraction of configurations
stays random, so the model can never lock the search into one region, and until some
budget has enough observations every draw is random.

The same view serves TPE and GP under ASHA or Hyperband (:func:`equal_budget_sampler`),
where the runner uses it whenever those samplers meet successive halving.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from nntune.exceptions import ConfigError
from nntune.samplers import RandomSampler, Sampler, TPESampler, resolve_seed, trial_rng
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.schedulers._asha import ASHA, rung_value
from nntune.schedulers._base import Decision
from nntune.schedulers._options import check_count, check_number
from nntune.schedulers._hyperband import Bracket, Hyperband
from nntune.space import Distribution, Space
from nntune.trial import Direction, FrozenTrial, TrialState

_RANDOM_SALT = 0xB0B  # keeps the random-or-model coin apart from the parameter draws
_IGNORED = (TrialState.WAITING, TrialState.FAILED)


def value_at_budget(trial: FrozenTrial, budget: int, max_resource: int) -> float | None:
    """``trial``'s value after ``budget`` epochs; a complete trial that reported no curve
    counts at the full budget with its final value."""
    value = rung_value(trial.intermediate_values, budget)
    if value is None and budget == max_resource and trial.state == TrialState.COMPLETE:
        return trial.value
    return value


def observations(history: Sequence[FrozenTrial], budget: int, max_resource: int) -> list[FrozenTrial]:
    """The trials as seen at ``budget``: complete, valued by their value there."""
    out = []
    for t in history:
        v = value_at_budget(t, budget, max_resource) if t.state not in _IGNORED else None
        if v is not None:
            out.append(dataclasses.replace(t, state=TrialState.COMPLETE, value=v,
                                           intermediate_values={}, metrics=[]))
    return out


def model_history(history: Sequence[FrozenTrial], budget: int, max_resource: int) -> list[FrozenTrial]:
    """What the model is fitted on: the observations at ``budget``, plus the trials pruned
    before reaching it, as they are. Successive halving stopped those for ranking low, and
    model-based samplers rank a pruned trial below every complete one, so they count among
    the bad; without them a region that is always pruned early would look unexplored."""
    stopped = [t for t in history if t.state == TrialState.PRUNED
               and value_at_budget(t, budget, max_resource) is None and t.intermediate_values]
    return [*observations(history, budget, max_resource), *stopped]


def model_budget(history: Sequence[FrozenTrial], budgets: Sequence[int], max_resource: int,
                 min_points: int) -> int | None:
    """The largest budget with at least ``min_points`` observations (``None``: none has)."""
    for b in sorted(budgets, reverse=True):
        if len(observations(history, b, max_resource)) >= min_points:
            return b
    return None


class BOHBSampler(OptunaMethods):
    """The sampler half of :class:`BOHB` (a Sampler: ``suggest`` / ``suggest_one``, and
    Optuna's sampler methods as every built-in has them), and,
    with a ``model`` given, any model-based sampler seen at equal budgets
    (:func:`equal_budget_sampler`): without one, each fit is a TPE whose start-up is
    ``min_points``; with one, that sampler is shown the history at the chosen budget.

    ``min_points`` is how many observations a budget needs before the model is used; by
    default the number of parameters plus 3 (one more than a kernel density needs per
    dimension, plus two to split good from bad), as in the BOHB paper.
    """

    def __init__(self, budgets: Sequence[int], max_resource: int, seed: int,
                 random_fraction: float, min_points: int | None, model: Sampler | None = None) -> None:
        self.budgets = sorted(set(budgets))
        self.max_resource = max_resource
        self.seed = seed
        self.random_fraction = random_fraction
        self.min_points = min_points
        self.model = model  # None: TPE, whose start-up is the budget's ``min_points``
        self._random = RandomSampler(seed)

    def is_random(self, number: int) -> bool:
        """Whether trial ``number`` is one of the random fraction."""
        return bool(trial_rng(self.seed, number, _RANDOM_SALT).random() < self.random_fraction)

    def _model_history(self, dims: int, history: Sequence[FrozenTrial],
                       number: int) -> tuple[Any, list[FrozenTrial]] | None:
        if self.is_random(number):
            return None
        need = self.min_points if self.min_points is not None else dims + 3
        budget = model_budget(history, self.budgets, self.max_resource, need)
        if budget is None:
            return None
        model = self.model if self.model is not None else TPESampler(seed=self.seed, n_startup_trials=need)
        return model, model_history(history, budget, self.max_resource)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        fitted = self._model_history(len(space), history, number)
        if fitted is None:
            return self._random.suggest(space, history, number=number, direction=direction)
        model, seen = fitted
        return dict(model.suggest(space, seen, number=number, direction=direction))

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        fitted = self._model_history(1, history, number)
        if fitted is None:
            return self._random.suggest_one(name, dist, history, number=number, direction=direction)
        model, seen = fitted
        return model.suggest_one(name, dist, seen, number=number, direction=direction)

    def __repr__(self) -> str:
        model = "" if self.model is None else f"model={self.model!r}, "
        return f"BOHBSampler({model}seed={self.seed}, random_fraction={self.random_fraction:g})"


def equal_budget_sampler(scheduler: ASHA | Hyperband, model: Sampler) -> BOHBSampler:
    """``model`` (TPE, GP) under successive halving, fitted as BOHB fits its TPE: on the
    values at the largest rung with enough observations, every trial that reached that rung
    counting with its value there, the trials stopped before it as pruned.

    Fitted on final values instead, the model would take the first trials to arrive at
    each rung for the best ones: with too few peers to be stopped, they run their full
    budget whatever their curve, and they outrank every stopped trial however good its
    curve was. At equal budgets, a trial stopped at epoch 3 with 0.82 counts above a
    finished one that had 0.79 there. Draws are the model's own (no random share: the
    rungs stop poor draws anyway); until a rung has enough observations they are random.
    ``scheduler.max_resource`` must be set (the full budget is the largest rung)."""
    if scheduler.max_resource is None:
        raise ConfigError("max_resource", "is needed to fit a model at equal budgets")
    seed = resolve_seed(getattr(model, "seed", None))
    return BOHBSampler(budgets_of(scheduler), scheduler.max_resource, seed,
                       random_fraction=0.0, min_points=None, model=model)


def budgets_of(scheduler: ASHA | Hyperband) -> list[int]:
    """Every step where ``scheduler`` judges trials (all brackets' rungs), and the full budget."""
    if isinstance(scheduler, Hyperband):
        rungs = {r for b in scheduler.brackets for r in scheduler.rungs(b)}
    else:
        rungs = set(scheduler.rungs())
    return sorted({*rungs, scheduler.max_resource})


class BOHB:
    """``BOHB(min_resource=1, max_resource=81, reduction_factor=3, seed=0)``.

    Give the study both halves: ``create_study(scheduler=bohb, sampler=bohb.sampler)``
    (a study given only ``scheduler=bohb`` takes ``bohb.sampler`` itself). Processes that
    share a study should share ``seed``: it fixes the brackets as well as the draws.
    ``halving`` takes :class:`Hyperband`'s keyword options (``compare``, ``cost_aware``,
    ``budget_seconds``, ``max_unjudged_share``, ``spare_leaders``, ``min_cost_factor``),
    which decide who stops; the model that proposes configurations is unchanged by them.
    """

    def __init__(self, min_resource: int = 1, max_resource: int = 81, reduction_factor: int = 3,
                 seed: int | None = None, random_fraction: float = 1 / 3,
                 min_points: int | None = None, **halving: Any) -> None:
        check_number("random_fraction", random_fraction, 0.0, 1.0)
        if min_points is not None:
            min_points = check_count("min_points", min_points, 2)
        self.seed = resolve_seed(seed)
        self.hyperband = Hyperband(min_resource, max_resource, reduction_factor, seed=self.seed, **halving)
        self.sampler = BOHBSampler(budgets_of(self.hyperband), max_resource, self.seed,
                                   random_fraction, min_points)

    @property
    def min_resource(self) -> int:
        return self.hyperband.min_resource

    @property
    def max_resource(self) -> int:
        return self.hyperband.max_resource

    @property
    def reduction_factor(self) -> int:
        return self.hyperband.reduction_factor

    @property
    def brackets(self) -> list[Bracket]:
        return self.hyperband.brackets

    @property
    def cost_aware(self) -> bool:
        """Whether trials record their seconds at each report (Hyperband's ``cost_aware``)."""
        return self.hyperband.cost_aware

    def plan_budget(self, seconds: float | None) -> None:
        self.hyperband.plan_budget(seconds)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        return self.hyperband.decide(trial, step, history, direction)

    def annotation(self, number: int) -> dict[str, Any] | None:
        return self.hyperband.annotation(number)

    def bracket_of(self, number: int) -> Bracket:
        return self.hyperband.bracket_of(number)

    def rung_of(self, trial: FrozenTrial) -> int | None:
        return self.hyperband.rung_of(trial)

    def describe(self, trial: FrozenTrial) -> dict[str, Any]:
        return self.hyperband.describe(trial)

    def __repr__(self) -> str:
        return (f"BOHB(min_resource={self.min_resource}, max_resource={self.max_resource}, "
                f"reduction_factor={self.reduction_factor}, seed={self.seed}, "
                f"random_fraction={self.sampler.random_fraction:g}"
                + ("" if self.hyperband.compare == "last" else f", compare={self.hyperband.compare!r}")
                + (", cost_aware=True" if self.cost_aware else "") + ")")
