"""NSGA-III (Deb & Jain 2014): NSGA-II's generations with another survivor selection.

With three or more objectives (accuracy, latency and parameter count of a network, say)
almost every trial is non-dominated, so NSGA-II's crowding distance decides nearly all of
its elite, and crowding spreads poorly in more than two dimensions. NSGA-III fills its
elite front by front as NSGA-II does, but the last front that does not fit whole is cut
by reference directions: the kept trials' values are normalized (ideal point at the
origin, the hyperplane through the extreme points at one on every axis), each trial is
associated with its nearest reference line, and the front's trials are taken one at a
time for the reference lines with the fewest members so far. So the elite spreads over
the whole front, one niche after another.

The pure functions below are the survivor selection; :class:`NSGAIIISampler` feeds them
the history and leaves tournaments, crossover and mutation to
:class:`~nntune.samplers._nsga.GenerationalSampler`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import trial_rng
from nntune.samplers._constraints import ConstraintsFunc, is_feasible, violation
from nntune.samplers._nsga import (GenerationalSampler, minimized_rows, nondominated_fronts, objective_directions,
                                   stored_trials)
from nntune.samplers._trial_memo import TrialMemo
from nntune.samplers.nsgaii import BaseCrossover, BaseMutation
from nntune.trial import FrozenTrial, TrialState

_ASF_EPSILON = 1e-6  # the weight of the other objectives when looking for an axis's extreme point


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as an ordered sum of ``parts`` non-negative integers."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def das_dennis(n_objectives: int, divisions: int) -> np.ndarray:
    """The reference points of Das and Dennis: every point of the simplex (coordinates
    summing to one) whose coordinates are multiples of ``1 / divisions``. They lie evenly on
    the normalized hyperplane, ``C(divisions + n_objectives - 1, n_objectives - 1)`` of them."""
    return np.array(list(_compositions(divisions, n_objectives)), dtype=float) / divisions


def _intercepts(extremes: np.ndarray) -> np.ndarray | None:
    """Where the hyperplane through the ``extremes`` (one row per axis) cuts each axis, or
    None when there is no such plane with positive, finite intercepts."""
    try:
        plane = np.linalg.solve(extremes, np.ones(len(extremes)))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(plane)) or not np.allclose(extremes @ plane, 1.0) or np.any(plane <= 0):
        return None
    intercepts = 1.0 / plane
    return intercepts if np.all(np.isfinite(intercepts)) and np.all(intercepts > 1e-12) else None


def normalize(points: np.ndarray) -> np.ndarray:
    """``points`` (rows, to minimize) scaled so that the ideal point (each objective's best)
    is the origin and the hyperplane through the extreme points (each axis's, by the
    achievement scalarizing function) cuts every axis at one. The objectives' own units
    (an error rate, milliseconds, millions of parameters) then weigh alike.

    When the extreme points span no such plane (two are the same point, or the plane cuts
    an axis at or below the ideal point), each objective is scaled by its worst value in
    the set instead; an intercept is never taken beyond that worst value, so a nearly flat
    plane cannot squeeze the set into a corner; an objective on which all points agree is
    left unscaled."""
    shifted = np.asarray(points, dtype=float) - np.min(points, axis=0)
    m = shifted.shape[1]
    weights = np.full((m, m), _ASF_EPSILON) + np.eye(m) * (1.0 - _ASF_EPSILON)
    asf = np.max(shifted[None, :, :] / weights[:, None, :], axis=2)  # (axis, point)
    extremes = shifted[np.argmin(asf, axis=1)]
    worst = np.max(shifted, axis=0)
    intercepts = _intercepts(extremes)
    scale = worst if intercepts is None else np.minimum(intercepts, worst)
    return shifted / np.where(scale > 0, scale, 1.0)


def associate(normalized: np.ndarray, reference_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's nearest reference line (the ray from the origin through a reference
    point) and its perpendicular distance to that line. Ties go to the first line."""
    refs = np.asarray(reference_points, dtype=float)
    unit = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    along = normalized @ unit.T  # (point, line): the length of each projection
    # The residual itself, not |x|^2 - projection^2, which cancels to noise on a line.
    distance = np.linalg.norm(normalized[:, None, :] - along[:, :, None] * unit[None, :, :], axis=2)
    nearest = np.argmin(distance, axis=1)
    return nearest, distance[np.arange(len(normalized)), nearest]


def niche_counts(nearest: np.ndarray, n_reference: int) -> np.ndarray:
    """How many points each reference line has as its nearest (its niche count)."""
    return np.bincount(np.asarray(nearest, dtype=int), minlength=n_reference)


def niche_select(count: int, niche_count: np.ndarray, nearest: np.ndarray, distance: np.ndarray,
                 rng: np.random.Generator) -> list[int]:
    """Which ``count`` of the last front's points join the elite, as indices into
    ``nearest`` / ``distance`` in the order chosen. ``niche_count`` holds the lines' counts
    among the points already kept. Each step takes a line with the fewest kept points among
    those that still have candidates (a coin toss among equals): an empty niche gets its
    candidate nearest the line, a filled one a random candidate, so the sparse directions
    are served first."""
    if count > len(nearest):
        raise ValueError(f"cannot choose {count} of {len(nearest)} points")
    counts = np.asarray(niche_count, dtype=int).copy()
    members: dict[int, list[int]] = {}
    for i, line in enumerate(np.asarray(nearest, dtype=int)):
        members.setdefault(int(line), []).append(i)
    chosen: list[int] = []
    while len(chosen) < count:
        live = sorted(line for line, candidates in members.items() if candidates)
        least = min(counts[line] for line in live)
        sparse = [line for line in live if counts[line] == least]
        line = sparse[int(rng.integers(len(sparse)))]
        candidates = members[line]
        if counts[line] == 0:
            pick = min(candidates, key=lambda i: (distance[i], i))
        else:
            pick = candidates[int(rng.integers(len(candidates)))]
        candidates.remove(pick)
        chosen.append(pick)
        counts[line] += 1
    return chosen


def survivors(points: np.ndarray, size: int, reference_points: np.ndarray,
              rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """NSGA-III's survivor selection: the rows of ``points`` (to minimize) it keeps, at most
    ``size``, and each kept row's front index. Whole fronts while they fit; the front that
    does not is cut by :func:`niche_select`, normalized together with the fronts before it."""
    kept: list[int] = []
    ranks: list[int] = []
    for rank, front in enumerate(nondominated_fronts(points)):
        room = size - len(kept)
        if room <= 0:
            break
        if len(front) <= room:
            kept += front
            ranks += [rank] * len(front)
            continue
        considered = kept + front
        nearest, distance = associate(normalize(points[considered]), reference_points)
        counts = niche_counts(nearest[:len(kept)], len(reference_points))
        picks = niche_select(room, counts, nearest[len(kept):], distance[len(kept):], rng)
        kept += [front[i] for i in picks]
        ranks += [rank] * len(picks)
    return kept, ranks


# What NSGA-III reads of a trial: its number, its values when it is complete with every
# value finite (else None), whether it is feasible, and how far from feasible.
Facts = tuple[int, "tuple[float, ...] | None", bool, float]


def _facts(trial: FrozenTrial) -> Facts:
    values = trial.values if trial.state == TrialState.COMPLETE else None
    ok = values is not None and all(math.isfinite(v) for v in values)
    return trial.number, tuple(values) if ok else None, is_feasible(trial), violation(trial)  # type: ignore[arg-type]


_FACTS: TrialMemo[Facts] = TrialMemo(_facts)


def _reference_points(points: Any) -> np.ndarray | None:
    """``reference_points`` as an array of finite rows, none all zero, or None when they are not."""
    try:
        refs = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        return None
    ok = refs.ndim == 2 and refs.size > 0 and bool(np.all(np.isfinite(refs))) \
        and bool(np.all(np.linalg.norm(refs, axis=1) > 0))
    return refs.copy() if ok else None


class NSGAIIISampler(GenerationalSampler):
    """NSGA-III: the elite of each generation is chosen by Pareto front and, in the front
    that does not fit whole, by reference directions (:func:`survivors`), so the trials
    spread over a front of three or more objectives. ``reference_points`` (rows of one
    value per objective, in the normalized objective space) give the directions to keep;
    by default they are the Das-Dennis points with ``dividing_parameter`` divisions per
    axis. Each objective is read toward its own direction (a maximized one flipped) before
    it is normalized. Infeasible trials (``constraints_func``) join the elite only when there are too
    few feasible ones, the least violating first. Tournaments, crossover and mutation are
    :class:`~nntune.samplers._nsga.GenerationalSampler`'s, as for NSGA-II."""

    def __init__(self, *, population_size: int = 50, mutation: BaseMutation | None = None,
                 mutation_prob: float | None = None, crossover: BaseCrossover | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: ConstraintsFunc | None = None,
                 reference_points: Sequence[Sequence[float]] | np.ndarray | None = None,
                 dividing_parameter: int = 3) -> None:
        super().__init__(population_size=population_size, mutation=mutation, mutation_prob=mutation_prob,
                         crossover=crossover,
                         crossover_prob=crossover_prob, swapping_prob=swapping_prob, seed=seed,
                         constraints_func=constraints_func)
        if isinstance(dividing_parameter, bool) or not isinstance(dividing_parameter, int) \
                or dividing_parameter < 1:
            raise ConfigError("dividing_parameter", f"must be an integer >= 1, got {dividing_parameter!r}")
        refs = None if reference_points is None else _reference_points(reference_points)
        if reference_points is not None and refs is None:
            shown = " ".join(repr(reference_points).split())  # one line, also for an array
            raise ConfigError("reference_points", "must be rows of one finite number per objective, none all "
                                                  f"zero, got {shown[:80]}{'...' if len(shown) > 80 else ''}")
        self.reference_points = refs
        self.dividing_parameter = dividing_parameter
        self._elite: tuple[tuple[Any, ...], list[Facts], list[int], list[float]] | None = None  # see elite

    def reference_for(self, n_objectives: int) -> np.ndarray:
        """The reference points for a study of ``n_objectives``."""
        if self.reference_points is None:
            return das_dennis(n_objectives, self.dividing_parameter)
        if self.reference_points.shape[1] != n_objectives:
            raise ConfigError("reference_points", f"have {self.reference_points.shape[1]} values each, "
                                                  f"but the study has {n_objectives} objectives")
        return self.reference_points

    def elite(self, history: Sequence[FrozenTrial], number: int,
              direction: str) -> tuple[list[FrozenTrial], list[float]]:
        """The NSGA-III elite of the generations before trial ``number``'s, with each
        member's front index as its rank (infeasible trials after every front).

        Every trial of a generation has the same elite unless a trial of an earlier one
        finished meanwhile: it is chosen once, and chosen again only when the candidates
        (each one's number, values and feasibility: :func:`_facts`, of the trials as
        stored: :func:`stored_trials`) differ from the last time's."""
        start = self.generation_start(number)
        directions = objective_directions(history, direction)
        m = len(directions)
        stored = list(stored_trials(history))  # read once: facts and trials are zipped
        pool = [(f, t) for f, t in zip(_FACTS.many(stored), stored) if f[0] < start and f[1] is not None
                and len(f[1]) == m]
        refs = self.reference_for(m)
        key = (start, tuple(directions), self.population_size, refs.shape, refs.tobytes())
        facts = [f for f, _ in pool]
        kept = self._elite
        if kept is None or kept[0] != key or kept[1] != facts:
            kept = self._elite = (key, facts, *self._choose(facts, directions, refs, start))
        return [pool[i][1] for i in kept[2]], list(kept[3])

    def _choose(self, facts: list[Facts], directions: list[str], refs: np.ndarray,
                start: int) -> tuple[list[int], list[float]]:
        """The elite among the candidates ``facts``: their indices and ranks."""
        feasible = [i for i, f in enumerate(facts) if f[2]]
        rng = trial_rng(self.seed, start, 11)  # one elite per generation, whoever asks
        points = minimized_rows([facts[i][1] for i in feasible], directions)
        kept, ranks = survivors(points, self.population_size, refs, rng) if feasible else ([], [])
        elite, rank = [feasible[i] for i in kept], [float(r) for r in ranks]
        if len(elite) < self.population_size:  # too few feasible: the least violating follow
            worst = max(ranks, default=-1) + 1
            infeasible = sorted((i for i, f in enumerate(facts) if not f[2]), key=lambda i: (facts[i][3], facts[i][0]))
            for i in infeasible[:self.population_size - len(elite)]:
                elite.append(i)
                rank.append(worst + facts[i][3])
        return elite, rank

    def __repr__(self) -> str:
        return f"NSGAIIISampler(population_size={self.population_size}, seed={self.seed})"
