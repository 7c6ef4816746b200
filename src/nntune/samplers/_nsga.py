"""Several objectives for samplers built for one, and NSGA-II.

A study of several objectives hands its sampler a view of the history in which each
complete trial's value is its place in the non-dominated sorting: the index of its Pareto
front (0 for the front itself), plus a fraction below one half that is smaller the more
isolated the trial is on its front (crowding distance). Lower is better. TPE splitting
that view into good and bad trials is the multi-objective TPE's split (by front, then by
spread); NSGA-II's elitist selection and binary tournaments are an ordering on it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nntune.samplers._base import independent_draw, independent_draws, resolve_seed, trial_rng
from nntune.samplers._constraints import ConstraintsFunc, is_feasible
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState, dominates


def nondominated_fronts(points: np.ndarray) -> list[list[int]]:
    """Row indices of ``points`` (to minimize on every column) by Pareto front, best first."""
    n = len(points)
    dominated_by = [0] * n
    beats: list[list[int]] = [[] for _ in range(n)]
    signs = ["minimize"] * points.shape[1] if n else []
    for i in range(n):
        for j in range(i + 1, n):
            if dominates(points[i], points[j], signs):
                beats[i].append(j)
                dominated_by[j] += 1
            elif dominates(points[j], points[i], signs):
                beats[j].append(i)
                dominated_by[i] += 1
    fronts: list[list[int]] = []
    current = [i for i in range(n) if dominated_by[i] == 0]
    while current:
        fronts.append(current)
        following = []
        for i in current:
            for j in beats[i]:
                dominated_by[j] -= 1
                if dominated_by[j] == 0:
                    following.append(j)
        current = sorted(following)
    return fronts


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """Each point's crowding distance within its front (infinite at each objective's ends)."""
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, math.inf)
    for k in range(m):
        order = np.argsort(points[:, k], kind="stable")
        span = points[order[-1], k] - points[order[0], k]
        distance[order[0]] = distance[order[-1]] = math.inf
        if span > 0:
            distance[order[1:-1]] += (points[order[2:], k] - points[order[:-2], k]) / span
    return distance


def pareto_scores(points: np.ndarray) -> np.ndarray:
    """A score per point, lower better: its front's index plus ``0.5 / (1 + crowding
    distance)``, so the front's ends add nothing and the most crowded points up to a half."""
    scores = np.zeros(len(points))
    for rank, front in enumerate(nondominated_fronts(points)):
        cd = crowding_distance(points[front])
        scores[front] = rank + 0.5 / (1.0 + cd)  # an end of the front (infinite distance) adds 0
    return scores


def pareto_view(history: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The history with each feasible complete trial's value replaced by its Pareto score
    (to minimize); other trials unchanged. A pure view: storage is untouched."""
    sign = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    done = [i for i, t in enumerate(history) if t.state == TrialState.COMPLETE and t.values is not None
            and len(t.values) == len(directions) and all(math.isfinite(v) for v in t.values)
            and is_feasible(t)]  # infeasible trials are ranked by constrained_view, after these
    out = list(history)
    if not done:
        return out
    points = np.array([history[i].values for i in done], dtype=float) * sign
    for i, score in zip(done, pareto_scores(points)):
        out[i] = dataclasses.replace(history[i], value=float(score))
    return out


class NSGAIISampler:
    """NSGA-II: trials come in generations of ``population_size``; a child's parents win
    binary tournaments among the best ``population_size`` complete trials of earlier
    generations (by Pareto front, then crowding), its parameters are the parents'
    crossed over uniformly in the unit cube (with ``crossover_prob``; each taken from the
    second parent with ``swapping_prob``), then each mutated (drawn anew) with
    ``mutation_prob`` (default 1 / number of parameters). The first generation is random."""

    def __init__(self, *, population_size: int = 50, mutation_prob: float | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: ConstraintsFunc | None = None) -> None:
        from nntune.exceptions import ConfigError

        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ConfigError("population_size", f"must be an integer >= 2, got {population_size!r}")
        for name, p in (("crossover_prob", crossover_prob), ("swapping_prob", swapping_prob),
                        ("mutation_prob", 0.0 if mutation_prob is None else mutation_prob)):
            if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
                raise ConfigError(name, f"must be a probability in [0, 1], got {p!r}")
        self.population_size = population_size
        self.mutation_prob = mutation_prob
        self.crossover_prob = float(crossover_prob)
        self.swapping_prob = float(swapping_prob)
        self.seed = resolve_seed(seed)
        self.constraints_func = constraints_func  # the study stores them and ranks infeasible trials last

    def parents(self, history: Sequence[FrozenTrial], number: int, direction: str) -> list[FrozenTrial]:
        """The elite of the generations before trial ``number``'s: best first."""
        generation_start = number // self.population_size * self.population_size
        pool = [t for t in history if t.state == TrialState.COMPLETE and t.value is not None
                and math.isfinite(t.value) and t.number < generation_start]
        sign = -1.0 if direction == "maximize" else 1.0
        return sorted(pool, key=lambda t: (sign * float(t.value), t.number))[:self.population_size]  # type: ignore[arg-type]

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not len(space):
            return {}
        elite = [] if number < self.population_size else \
            [t for t in self.parents(history, number, direction) if all(n in t.params for n in space.params
                                                                        if n not in space.conditions)]
        if len(elite) < 2:  # the first generation, or too few parents: random
            return independent_draws(space, self.seed, number)
        rng = trial_rng(self.seed, number, 7)

        def tournament() -> FrozenTrial:
            a, b = rng.choice(len(elite), size=2, replace=False)
            return elite[min(a, b)]  # elite is sorted best first

        first, second = tournament(), tournament()
        u1, u2 = space.to_unit(first.params), space.to_unit(second.params)
        child = u1.copy()
        if rng.random() < self.crossover_prob:
            swap = rng.random(len(child)) < self.swapping_prob
            child[swap] = u2[swap]
        p_mutate = self.mutation_prob if self.mutation_prob is not None else 1.0 / len(space)
        mutate = rng.random(len(child)) < p_mutate
        child[mutate] = rng.random(int(mutate.sum()))
        child = np.where(np.isnan(child), rng.random(len(child)), child)  # inactive in a parent
        return space.from_unit(child)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return independent_draw(self.seed, number, name, dist)

    def __repr__(self) -> str:
        return f"NSGAIISampler(population_size={self.population_size}, seed={self.seed})"


class ParetoView(Sequence[FrozenTrial]):
    """:func:`pareto_view` of a history, computed the first time a sampler looks (a
    sampler that draws from the seed alone never reads the history)."""

    def __init__(self, history: Sequence[FrozenTrial], directions: Sequence[str]) -> None:
        self._history = history
        self._directions = list(directions)
        self._view: list[FrozenTrial] | None = None

    def _load(self) -> list[FrozenTrial]:
        if self._view is None:
            self._view = pareto_view(list(self._history), self._directions)
        return self._view

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())
