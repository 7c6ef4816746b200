"""NSGA-II (Deb et al. 2002): each generation's parents are chosen once, from the parents
of the generation before it and that generation's complete trials, as Optuna's
``NSGAIISampler`` chooses them (``select_parent``: its elite population selection over
``get_population(generation - 1) + get_parent_population(generation - 1)``).

The candidates are ranked by constrained domination: the feasible ones by Pareto front,
then the infeasible ones by their violation (equal violations share a rank). Whole ranks
join while they fit; the rank that does not fit whole is cut by crowding distance, the
least crowded kept. A trial left out once never comes back, and the trials of the
generation being asked (nor any later one) never move its parents: they are the same at
each of its asks.

Generations are nntune's, fixed ranges of trial numbers (trial k is of generation k //
population_size), where Optuna's count complete trials. So a generation's candidates are
the complete trials of its range: a failed, pruned or diverged trial is none, as in
Optuna, whose populations hold complete trials only, but leaves its generation one short
instead of being made up for; and a trial still running when the next generation starts
joins its own generation's candidates once it completes, where Optuna, whose generation
was already full without it, leaves it out. The choices from the next generation on are
then made again with it. Nothing is stored beside the trials: each choice is a function
of them, kept in memory while they hold (:meth:`NSGAIISampler.elite`), so a study
resumed in another process draws as it would have drawn."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nntune.samplers._constraints import ConstraintsFunc, is_feasible, violation
from nntune.samplers._nsga import (GenerationalSampler, crowding_by_front, front_ids, in_reach, minimized_rows,
                                   objective_directions, stored_trials)
from nntune.samplers._trial_memo import TrialMemo
from nntune.samplers.nsgaii import BaseCrossover, BaseMutation
from nntune.trial import FrozenTrial, TrialState

# What NSGA-II reads of a trial: its number, its values when it is complete with no NaN
# among them (else None: an infinite value is a value, as in Optuna), whether it is
# feasible, and how far from feasible.
Facts = tuple[int, "tuple[float, ...] | None", bool, float]


def _facts(trial: FrozenTrial) -> Facts:
    values = trial.values if trial.state == TrialState.COMPLETE else None
    ok = values is not None and not any(math.isnan(v) for v in values)
    return trial.number, tuple(values) if ok else None, is_feasible(trial), violation(trial)  # type: ignore[arg-type]


_FACTS: TrialMemo[Facts] = TrialMemo(_facts)


def select(candidates: Sequence[Facts], directions: Sequence[str], size: int) -> tuple[list[int], list[float]]:
    """Optuna's NSGA-II elite population selection on ``candidates`` (complete, in the
    order Optuna hands them over): the indices of at most ``size`` chosen, and each
    chosen one's rank for the tournaments (lower wins): its front index plus a fraction
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


class NSGAIISampler(GenerationalSampler):
    """NSGA-II: each generation's elite is chosen once from the elite before it and the
    complete trials of the generation before it (:func:`select`, Optuna's rule: Pareto
    front, constrained domination, crowding); the rest is :class:`GenerationalSampler`."""

    def __init__(self, *, population_size: int = 50, mutation: BaseMutation | None = None,
                 mutation_prob: float | None = None, crossover: BaseCrossover | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: ConstraintsFunc | None = None) -> None:
        super().__init__(population_size=population_size, mutation=mutation, mutation_prob=mutation_prob,
                         crossover=crossover,
                         crossover_prob=crossover_prob, swapping_prob=swapping_prob, seed=seed,
                         constraints_func=constraints_func)
        # Per generation g >= 1 (index g - 1): its candidates, its parents (in number order,
        # as the next generation's candidates list them) and their ranks. See elite.
        self._chosen: list[tuple[list[Facts], list[Facts], list[float]]] = []
        self._chosen_for: tuple[int, tuple[str, ...]] | None = None

    def parents(self, history: Sequence[FrozenTrial], number: int, direction: str) -> list[FrozenTrial]:
        """The elite trial ``number`` is bred from: best first."""
        return self.elite(history, number, direction)[0]

    def elite(self, history: Sequence[FrozenTrial], number: int,
              direction: str) -> tuple[list[FrozenTrial], list[float]]:
        """The parents of trial ``number``'s generation, best first (by rank, then number),
        with their ranks: generation 1's chosen among generation 0's complete trials, each
        later one's among the generation before's complete trials and parents.

        Each generation's choice is made once and kept while its candidates (each one's
        number, values, feasibility and violation: :func:`_facts`, of the trials as stored)
        are the same, so an ask costs one pass over the trials' memoized facts; a late trial
        of an earlier generation changes its generation's candidates, and the choices are
        made again from there on."""
        size = self.population_size
        generation = number // size
        if generation <= 0:
            return [], []
        directions = objective_directions(history, direction)
        m = len(directions)
        stored = list(stored_trials(history))  # read once: facts and trials are zipped
        start = generation * size
        populations: list[list[Facts]] = [[] for _ in range(generation)]
        trial_of: dict[int, FrozenTrial] = {}
        for f, t in zip(_FACTS.many(stored), stored):
            if f[0] < start and f[1] is not None and len(f[1]) == m:
                populations[f[0] // size].append(f)
                trial_of[f[0]] = t
        for population in populations:
            population.sort(key=lambda f: f[0])  # already so, as storages list trials
        key = (size, tuple(directions))
        if self._chosen_for != key:
            self._chosen, self._chosen_for = [], key
        parents: list[Facts] = []
        ranks: list[float] = []
        for g in range(1, generation + 1):
            candidates = populations[g - 1] + parents  # Optuna's population, then parent population
            kept = self._chosen[g - 1] if g <= len(self._chosen) else None
            if kept is None or kept[0] != candidates:
                picked, rank = select(candidates, directions, size)
                by_number = sorted(range(len(picked)), key=lambda j: candidates[picked[j]][0])
                kept = (candidates, [candidates[picked[j]] for j in by_number], [rank[j] for j in by_number])
                # A later generation's choice stays while its own candidates hold (its
                # parents here unchanged): each is checked against them in turn.
                self._chosen[g - 1:g] = [kept]
            parents, ranks = kept[1], kept[2]
        best = sorted(range(len(parents)), key=lambda j: (ranks[j], parents[j][0]))
        return [trial_of[parents[j][0]] for j in best], [ranks[j] for j in best]

    def __repr__(self) -> str:
        return f"NSGAIISampler(population_size={self.population_size}, seed={self.seed})"


__all__ = ["NSGAIISampler", "crowding_sorted", "select"]
