"""NSGA-II (Deb et al. 2002): each generation's parents are chosen once, from the parents
of the generation before it and that generation's complete trials, as Optuna's
``NSGAIISampler`` chooses them (``select_parent``: its elite population selection over
``get_population(generation - 1) + get_parent_population(generation - 1)``).

The candidates are ranked by constrained domination: the feasible ones by Pareto front,
then the infeasible ones by their violation (equal violations share a rank), feasibility
and violation read as Optuna reads them (:func:`~nntune.trial.constraints_met`).
Whole ranks join while they fit; the rank that does not fit whole is cut by crowding
distance, the least crowded kept.

Generations are Optuna's (:mod:`nntune.samplers._ga_generations`): a trial's generation is
stored with it when it is sampled, counting the complete trials of the latest generation,
and the first trial of a generation stores its parents, so neither a trial that completes
late nor a resumed process chooses them again."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from nntune.samplers._constraints import ConstraintsFunc, constraint_violation
from nntune.samplers._ga_generations import (GENERATION_KEY, PARENTS_KEY, assign_generations, store_for,
                                             stored_generation, stored_parents)
from nntune.samplers._nsga import (GenerationalSampler, crowding_by_front, front_ids, in_reach, minimized_rows,
                                   objective_directions, stored_trials)
from nntune.samplers._trial_memo import TrialMemo
from nntune.samplers.nsgaii import BaseCrossover, BaseMutation
from nntune.space import Space
from nntune.trial import FrozenTrial, TrialState, constraint_values, constraints_met

# What a generational sampler reads of a trial: its number, its values when it is complete
# and they are usable (else None), whether it is feasible and how far from feasible (as
# Optuna reads them), whether it is complete (it then counts toward its generation's size),
# its stored generation and stored parents.
Facts = tuple[int, "tuple[float, ...] | None", bool, float, bool, "int | None", "tuple[int, ...] | None"]


def facts_reader(keys: tuple[str, str], usable: Callable[[float], bool]) -> Callable[[FrozenTrial], Facts]:
    """The :data:`Facts` of a trial, its generation and parents read under ``keys``, its
    values kept when each is ``usable``."""
    def facts(trial: FrozenTrial) -> Facts:
        complete = trial.state == TrialState.COMPLETE
        values = trial.values if complete else None
        ok = values is not None and all(map(usable, values))
        constraints = constraint_values(trial.system_attrs).values()
        return (trial.number, tuple(values) if ok else None, constraints_met(constraints),  # type: ignore[arg-type]
                constraint_violation(constraints), complete, stored_generation(trial.system_attrs, keys[0]),
                stored_parents(trial.system_attrs, keys[1]))
    return facts


# NSGA-II's: no NaN among the values (an infinite value is a value, as in Optuna).
_facts = facts_reader((GENERATION_KEY, PARENTS_KEY), lambda v: not math.isnan(v))
_FACTS: TrialMemo[Facts] = TrialMemo(_facts)


def select(candidates: Sequence[Facts], directions: Sequence[str], size: int) -> tuple[list[int], list[float]]:
    """Optuna's NSGA-II elite population selection on ``candidates`` (complete, in the
    order Optuna hands them over): the indices of at most ``size`` chosen, and each
    chosen one's rank (lower better): its front index plus a fraction
    of at most one half that is smaller the less crowded it is on its front, as the crowded
    comparison of Deb et al.; an infeasible one after every front, by its violation."""
    values = [f[1] or () for f in candidates]  # every candidate is complete: never ()
    feasible = [i for i, f in enumerate(candidates) if f[2]]
    rank: dict[int, float] = {}
    layers: list[list[int]] = []
    if feasible:
        points = minimized_rows([values[i] for i in feasible], directions)
        ids = front_ids(points)
        crowding = crowding_by_front(in_reach(points), ids)
        for i, front, distance in zip(feasible, ids.tolist(), crowding.tolist()):
            rank[i] = front + 0.5 / (1.0 + distance)  # a front's end (infinite distance) adds 0
        layers = [[] for _ in range(int(ids.max()) + 1)]
        for i, front in zip(feasible, ids.tolist()):
            layers[front].append(i)  # each front in the candidates' order, as Optuna's ranks
    infeasible = [i for i, f in enumerate(candidates) if not f[2]]
    worst = len(layers)
    for v in sorted({candidates[i][3] for i in infeasible}):
        layers.append([i for i in infeasible if candidates[i][3] == v])
    for i in infeasible:
        rank[i] = worst + candidates[i][3]
    chosen: list[int] = []
    for layer in layers:
        if len(chosen) + len(layer) < size:
            chosen += layer
        else:
            chosen += crowding_sorted(layer, [values[i] for i in layer])[:size - len(chosen)]
            break
    return chosen, [rank[i] for i in chosen]


def crowding_sorted(layer: list[int], values: Sequence[Sequence[float]]) -> list[int]:
    """``layer`` (``values``: each member's objective values, as given) least crowded
    first, by Optuna's crowding distance and in its order: sorted on each objective in turn
    (stably, each sort starting from the last), then on the distance, then reversed, so
    equal distances fall as Optuna's do and the same trials are cut. An objective on which
    all agree adds nothing; the gap to a missing neighbour is infinite, the one between
    equal infinite values none."""
    order = list(range(len(layer)))
    distance = [0.0] * len(layer)
    for k in range(len(values[0]) if len(values) else 0):
        order.sort(key=lambda i: values[i][k])
        if values[order[0]][k] == values[order[-1]][k]:
            continue
        vs = [-math.inf] + [values[i][k] for i in order] + [math.inf]
        v_min = next(x for x in vs if x != -math.inf)
        v_max = next(x for x in reversed(vs) if x != math.inf)
        width = v_max - v_min
        if width <= 0:  # no two finite values apart (infinite ones aside): a unit width, as Optuna's
            width = 1.0
        for j, i in enumerate(order):
            distance[i] += (0.0 if vs[j] == vs[j + 2] else vs[j + 2] - vs[j]) / width
    order.sort(key=lambda i: distance[i])
    order.reverse()
    return [layer[i] for i in order]


class OptunaGenerations(GenerationalSampler):
    """Optuna's GA generations (:mod:`~nntune.samplers._ga_generations`): each generation's
    elite is chosen once, by :meth:`choose`, from the elite before it and the complete
    trials of the generation before it, and stored with the generation's first trial; the
    tournaments, crossover and mutation are :class:`GenerationalSampler`'s. A subclass
    gives its survivor selection (:meth:`choose`), the keys its generations are stored
    under and how its trials' facts are read."""

    generation_keys: tuple[str, str] = (GENERATION_KEY, PARENTS_KEY)
    trial_facts: TrialMemo[Facts] = _FACTS

    def choose(self, candidates: list[Facts], directions: list[str], size: int, generation: int) -> list[int]:
        """The indices of at most ``size`` of ``candidates`` (complete, in the order Optuna
        hands them over) that make generation ``generation``'s parents: NSGA-II's
        :func:`select`."""
        return select(candidates, directions, size)[0]

    def __init__(self, *, population_size: int = 50, mutation: BaseMutation | None = None,
                 mutation_prob: float | None = None, crossover: BaseCrossover | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: ConstraintsFunc | None = None) -> None:
        super().__init__(population_size=population_size, mutation=mutation, mutation_prob=mutation_prob,
                         crossover=crossover,
                         crossover_prob=crossover_prob, swapping_prob=swapping_prob, seed=seed,
                         constraints_func=constraints_func)
        # Per generation g >= 1 chosen here: its candidates and its parents (in number order,
        # as the next generation's candidates list them). See parents_of.
        self._chosen: dict[int, tuple[list[Facts], list[Facts]]] = {}
        self._chosen_for: tuple[int, tuple[str, ...]] | None = None
        self._ranked: tuple[list[Facts], list[int], list[float]] | None = None  # the last parents, best first
        # The count of the leading finished trials at the last ask: how many, their facts,
        # (latest generation, its complete trials), stored parents, populations. See _count.
        self._tally: tuple[int, list[Facts], tuple[int, int], dict[int, tuple[int, ...]],
                           dict[int, tuple[Facts, ...]]] | None = None

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if number < self.population_size:  # generation 0, bred from none; stored all the same, as Optuna's
            self.elite(history, number, direction)
        return super().suggest(space, history, number=number, direction=direction)

    def parents(self, history: Sequence[FrozenTrial], number: int, direction: str) -> list[FrozenTrial]:
        """The parents trial ``number`` is bred from: best first."""
        return self.elite(history, number, direction)[0]

    def generation(self, history: Sequence[FrozenTrial], number: int) -> int:
        """Trial ``number``'s generation: the stored one, else the one it gets when sampled
        now (:func:`~nntune.samplers._ga_generations.assign_generations`)."""
        facts = self.trial_facts.many(stored_trials(history))
        return assign_generations([(f[0], f[4], f[5]) for f in facts], self.population_size, number)[1]

    def elite(self, history: Sequence[FrozenTrial], number: int,
              direction: str) -> tuple[list[FrozenTrial], list[float]]:
        """The parents of trial ``number``'s generation, best first (by their constrained
        non-domination rank among themselves, then number), with those ranks. Trial
        ``number``, when it is the trial being sampled, stores its generation (and, first
        in it, its parents) as it is drawn: :meth:`parents_of`."""
        parents, trial_of = self.parents_of(history, direction, number=number)
        if not parents:
            return [], []
        if self._ranked is None or self._ranked[0] != parents:
            directions = objective_directions(history, direction)
            picked, ranks = select(parents, directions, len(parents))
            rank_of = {parents[i][0]: r for i, r in zip(picked, ranks)}
            best = sorted(parents, key=lambda f: (rank_of[f[0]], f[0]))
            self._ranked = (parents, [f[0] for f in best], [rank_of[f[0]] for f in best])
        return [trial_of[n] for n in self._ranked[1]], list(self._ranked[2])

    def parents_of(self, history: Sequence[FrozenTrial], direction: str, *, number: int = -1,
                   generation: int | None = None) -> tuple[list[Facts], dict[int, FrozenTrial]]:
        """The parents (their facts, in number order) of trial ``number``'s generation, or of
        ``generation``, and the trials as stored by number.

        Generation g's parents are those stored by its first trial, else chosen (:func:`select`)
        among the complete trials of generation g - 1 and that generation's parents. A
        choice is kept while its candidates (their :func:`_facts`) are the same, so an ask
        costs one pass over the trials' memoized facts."""
        size = self.population_size
        directions = objective_directions(history, direction)
        m = len(directions)
        stored = list(stored_trials(history))  # read once: facts and trials are zipped
        facts = self.trial_facts.many(stored)
        key = (size, tuple(directions))
        if self._chosen_for != key:
            self._chosen, self._chosen_for, self._ranked, self._tally = {}, key, None, None
        target, asked, records, populations = self._count(facts, stored, number, m)
        if generation is not None:
            target = generation
        at: dict[int, int] = {}

        def index(n: int) -> int:
            """Where trial ``n`` is: at position ``n`` in a study's history, else looked up."""
            if 0 <= n < len(facts) and facts[n][0] == n:
                return n
            if not at:
                at.update((f[0], i) for i, f in enumerate(facts))
            return at.get(n, -1)

        def usable(n: int) -> Facts | None:
            i = index(n)
            f = facts[i] if i >= 0 else None
            return f if f is not None and f[1] is not None and len(f[1]) == m else None

        # From the latest stored choice at or before the generation, chosen anew after it.
        base = max((g for g in records if g <= target), default=0)
        parents: list[Facts] = [f for f in map(usable, records.get(base, ())) if f is not None]
        for g in range(base + 1, target + 1):
            candidates = populations.get(g - 1, []) + parents  # Optuna's population, then parent population
            kept = self._chosen.get(g)
            if kept is None or kept[0] != candidates:
                picked = self.choose(candidates, directions, size, g)
                kept = (candidates, sorted((candidates[i] for i in picked), key=lambda f: f[0]))
                self._chosen[g] = kept
            parents = kept[1]
        if generation is None:
            store_for(number, asked, target, None if target < 1 or target in records else [f[0] for f in parents],
                      self.generation_keys)
        return parents, {f[0]: stored[index(f[0])] for f in parents}

    def _count(self, facts: list[Facts], stored: list[FrozenTrial], number: int,
               m: int) -> tuple[int, FrozenTrial | None, dict[int, tuple[int, ...]], dict[int, list[Facts]]]:
        """One pass of :func:`~nntune.samplers._ga_generations.assign_generations` that also
        gathers each generation's complete trials (with ``m`` values) and each generation's
        stored parents (its first trial's; trial ``number``'s own for its generation): trial
        ``number``'s generation, its stored trial, the parents and the populations.

        The pass resumes after the leading finished trials seen unchanged (the same memoized
        facts) at the last ask: a large study's history is counted once, not at every ask."""
        size = self.population_size
        top = count = start = 0
        records: dict[int, tuple[int, ...]] = {}
        populations: dict[int, list[Facts]] = {}
        kept = self._tally
        if kept is not None and kept[0] <= len(facts) and (kept[0] == 0 or facts[kept[0] - 1][0] < number) \
                and all(map(operator.is_, facts[:kept[0]], kept[1])):
            start, (top, count), records = kept[0], kept[2], dict(kept[3])
            populations = {g: list(v) for g, v in kept[4].items()}
        asked: FrozenTrial | None = None
        asked_generation: int | None = None
        finished_so_far = True
        for i in range(start, len(facts)):
            f = facts[i]
            n = f[0]
            if finished_so_far and (n == number or not stored[i].state.is_finished()):
                finished_so_far = False  # the prefix to resume after next time ends here
                self._tally = (i, facts[:i], (top, count), dict(records),
                               {g: tuple(v) for g, v in populations.items()})
            if n == number:
                asked = stored[i]
                if f[5] is None:
                    continue  # being sampled: counted from all the others, below
            g = f[5] if f[5] is not None else (top + 1 if count >= size else top)
            if n == number:
                asked_generation = g
            if f[4]:
                if g > top:
                    top, count = g, 1
                elif g == top:
                    count += 1
            if f[6] is not None and (g not in records or n == number):
                records[g] = f[6]
            if f[1] is not None and len(f[1]) == m:
                populations.setdefault(g, []).append(f)
        if finished_so_far:
            self._tally = (len(facts), list(facts), (top, count), dict(records),
                           {g: tuple(v) for g, v in populations.items()})
        if asked_generation is None:
            asked_generation = top + 1 if count >= size else top
        return asked_generation, asked, records, populations

    # Optuna's GA methods on these generations.
    def get_trial_generation(self, study: Any, trial: FrozenTrial) -> int:
        """The generation stored with ``trial``, else the one it gets when sampled now."""
        stored = stored_generation(trial.system_attrs, self.generation_keys[0])
        return stored if stored is not None else self.generation(self._history(study)[0], trial.number)

    def get_population(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The complete trials of ``generation``, in number order."""
        trials = list(study.get_trials(deepcopy=False))
        generations, _ = assign_generations([(f[0], f[4], f[5]) for f in self.trial_facts.many(trials)],
                                            self.population_size, -1)
        return [t for t, g in zip(trials, generations) if g == generation and t.state == TrialState.COMPLETE]

    def select_parent(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` (the study's trials), in number order; none for generation 0."""
        if generation <= 0:
            return []
        seen, direction = self._history(study)
        parents, trial_of = self.parents_of(seen, direction, generation=generation)
        return [trial_of[f[0]] for f in parents]



class NSGAIISampler(OptunaGenerations):
    """NSGA-II: each generation's elite is chosen once from the elite before it and the
    complete trials of the generation before it (:func:`select`, Optuna's rule: Pareto
    front, constrained domination, crowding); the rest is :class:`OptunaGenerations`'."""

    def __repr__(self) -> str:
        return f"NSGAIISampler(population_size={self.population_size}, seed={self.seed})"


__all__ = ["Facts", "NSGAIISampler", "OptunaGenerations", "crowding_sorted", "facts_reader", "select"]
