"""The generational samplers' base: generations of ``population_size``, the elite's
binary tournaments, crossover and mutation. NSGA-II (``_nsga2.py``) and NSGA-III
(``_nsga3.py``) build on it, each choosing its elite its own way with the non-dominated
sorting of :mod:`nntune.samplers._nsga`. Importable from :mod:`nntune.samplers._nsga` too."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nntune.samplers._base import independent_draw, independent_draws, resolve_seed, trial_rng
from nntune.samplers._checks import check_callable
from nntune.samplers._constraints import ConstraintsFunc, constrained_dominates, constraint_violation
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.samplers._trial_memo import TrialMemo
from nntune.samplers.nsgaii import (BaseCrossover, BaseMutation, check_crossover, check_mutation, child_by_crossover,
                                    mutated, numeric_columns)
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, constraint_values, constraints_met


def tournament(pool: Sequence[int], beats: Callable[[int, int], bool], rng: np.random.Generator) -> int:
    """Optuna's binary tournament (``_select_parent``): two members of ``pool`` drawn at
    random, each from all of it, the first winning when it ``beats`` (constrained-dominates)
    the second, else the second."""
    a, b = (pool[int(i)] for i in rng.integers(len(pool), size=2))
    return a if beats(a, b) else b


def _constraint_facts(trial: FrozenTrial) -> tuple[bool, float]:
    constraints = constraint_values(trial.system_attrs).values()
    return constraints_met(constraints), constraint_violation(constraints)


_CONSTRAINT_FACTS: TrialMemo[tuple[bool, float]] = TrialMemo(_constraint_facts)


def duel_facts(trial: FrozenTrial, directions: Sequence[str]) -> tuple[list[float], bool, float]:
    """What a binary tournament compares of a (complete) parent: its values to minimize,
    and whether it is feasible and how far from it, as Optuna reads them."""
    feasible, violation = _CONSTRAINT_FACTS(trial)
    values = [-v if d == "maximize" else v for v, d in zip(trial.values or (), directions)]
    return values, feasible, violation


class GenerationalSampler(OptunaMethods, abc.ABC):
    """What NSGA-II and NSGA-III share: trials come in generations of ``population_size``
    (the first drawn at random); a child's parents win binary tournaments among the elite
    that :meth:`elite` chooses from the complete trials of earlier generations, its
    parameters are the parents' crossed over uniformly in the unit cube (with
    ``crossover_prob``; each kept from the first parent with ``swapping_prob``, as Optuna's UniformCrossover), or by
    Optuna's ``crossover`` given (:mod:`nntune.samplers.nsgaii`), then each mutated (drawn
    anew, or moved by ``mutation``) with ``mutation_prob`` (default 1 / number of parameters).

    The parents are drawn by Optuna's binary tournament (:func:`tournament`: constrained
    domination between the two drawn, the second winning unless the first dominates), and
    with ``1 - crossover_prob`` a child is a copy of a member drawn at random, as Optuna's.
    The elite is a function of the stored trials (each trial's generation is stored with
    it, :mod:`nntune.samplers._ga_generations`), so the same seed and history give the
    same suggestion in any process, a study resumed elsewhere included."""

    def __init__(self, *, population_size: int = 50, mutation: BaseMutation | None = None,
                 mutation_prob: float | None = None, crossover: BaseCrossover | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: ConstraintsFunc | None = None) -> None:
        from nntune.exceptions import ConfigError

        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ConfigError("population_size", f"must be an integer >= 2, got {population_size!r}")
        for name, p in (("crossover_prob", crossover_prob), ("swapping_prob", swapping_prob),
                        ("mutation_prob", 0.0 if mutation_prob is None else mutation_prob)):
            if isinstance(p, bool) or not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
                raise ConfigError(name, f"must be a probability in [0, 1], got {p!r}")
        self.population_size = population_size
        self.mutation_prob = mutation_prob
        self.crossover_prob = float(crossover_prob)
        self.swapping_prob = float(swapping_prob)
        # None: the uniform crossover in the unit cube below (Optuna's default, UniformCrossover).
        self.crossover = check_crossover(crossover, population_size)
        # None: a mutated parameter is drawn anew (Optuna's default); else a numeric one is moved.
        self.mutation = check_mutation(mutation)
        self.seed = resolve_seed(seed)
        self.constraints_func = check_callable("constraints_func", constraints_func)  # the study stores them and ranks infeasible trials last

    # Optuna's GA methods: a subclass says which generation a trial is of, which trials
    # make a generation's population and which are its parents
    # (:class:`~nntune.samplers._nsga2.OptunaGenerations`, Optuna's stored generations).
    @abc.abstractmethod
    def get_trial_generation(self, study: Any, trial: FrozenTrial) -> int:
        """The generation of ``trial``."""

    @abc.abstractmethod
    def get_population(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The complete trials of ``generation``, in number order."""

    @abc.abstractmethod
    def select_parent(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The parents ``generation``'s children are bred from; none for generation 0."""

    def get_parent_population(self, study: Any, generation: int) -> list[FrozenTrial]:
        """:meth:`select_parent`: nothing is stored in the study, the parents are the stored
        trials' to give back (the first trial of a generation stores their numbers)."""
        return self.select_parent(study, generation)

    @abc.abstractmethod
    def elite(self, history: Sequence[FrozenTrial], number: int,
              direction: str) -> tuple[list[FrozenTrial], list[float]]:
        """The parents' pool for trial ``number``, best first, and each member's rank (lower
        better). The tournaments compare two members by Optuna's constrained domination
        (:func:`~nntune.samplers._constraints.constrained_dominates`), not by rank."""

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        # Asked even for an empty space (a define-by-run study before its first complete
        # trial): NSGA-II stores the trial's generation as it is drawn.
        members = [] if number < self.population_size else self.elite(history, number, direction)[0]
        if not len(space):
            return {}
        elite = [t for t in members if all(n in t.params for n in space.params if n not in space.conditions)]
        if len(elite) < 2:  # the first generation, or too few parents: random
            return independent_draws(space, self.seed, number)
        rng = trial_rng(self.seed, number, 7)
        from nntune.samplers._nsga import objective_directions  # _nsga imports this module

        directions = objective_directions(history, direction)
        duel = [duel_facts(t, directions) for t in elite]

        def beats(a: int, b: int) -> bool:
            return constrained_dominates(duel[a], duel[b])

        if self.crossover is not None:
            if len(elite) < self.crossover.n_parents:
                return independent_draws(space, self.seed, number)
            child = child_by_crossover(self.crossover, space, elite, lambda pool: tournament(pool, beats, rng), rng, self.crossover_prob,
                                       self.swapping_prob, getattr(history, "directions", None) or [direction])
        elif rng.random() < self.crossover_prob:
            # Optuna's uniform crossover: two binary tournaments, the second among the elite
            # less the first winner (a child of one parent twice is that parent again unless
            # mutated, a duplicate trial); each parameter the first's with swapping_prob.
            first = tournament(list(range(len(elite))), beats, rng)
            second = tournament([i for i in range(len(elite)) if i != first], beats, rng)
            child = space.to_unit(elite[first].params).copy()
            u2 = space.to_unit(elite[second].params)
            take = rng.random(len(child)) >= self.swapping_prob
            child[take] = u2[take]
        else:  # no crossover: a copy of a member drawn at random, as Optuna's
            child = space.to_unit(elite[int(rng.integers(len(elite)))].params).copy()
        p_mutate = self.mutation_prob if self.mutation_prob is not None else 1.0 / len(space)
        mutate = rng.random(len(child)) < p_mutate
        if self.mutation is None:
            child[mutate] = rng.random(int(mutate.sum()))
        else:
            child = mutated(self.mutation, child, mutate, numeric_columns(space), rng,
                            getattr(history, "directions", None) or [direction])
        child = np.where(np.isnan(child), rng.random(len(child)), child)  # inactive in a parent
        return space.from_unit(child)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return independent_draw(self.seed, number, name, dist)
