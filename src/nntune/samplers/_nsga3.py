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
each generation's candidates (Optuna's: the complete trials of the generation before and
that generation's parents) and leaves generations, tournaments, crossover and mutation to
:class:`~nntune.samplers._nsga2.OptunaGenerations`, which stores them under NSGA-III's own
keys, as Optuna's ``NSGAIIISampler`` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import trial_rng
from nntune.samplers._constraints import ConstraintsFunc
from nntune.samplers._ga_generations import keys_of
from nntune.samplers._nsga import minimized_rows, nondominated_fronts
from nntune.samplers._nsga2 import Facts, OptunaGenerations, facts_reader
from nntune.samplers._trial_memo import TrialMemo
from nntune.samplers.nsgaii import BaseCrossover, BaseMutation

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


# NSGA-III's trial facts: its generations under its own keys, and only finite values,
# since normalizing onto the hyperplane through the extreme points needs them.
_KEYS = keys_of("NSGAIIISampler")
_FACTS: TrialMemo[Facts] = TrialMemo(facts_reader(_KEYS, math.isfinite))


def _reference_points(points: Any) -> np.ndarray | None:
    """``reference_points`` as an array of finite rows, none all zero, or None when they are not."""
    try:
        refs = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        return None
    ok = refs.ndim == 2 and refs.size > 0 and bool(np.all(np.isfinite(refs))) \
        and bool(np.all(np.linalg.norm(refs, axis=1) > 0))
    return refs.copy() if ok else None


class NSGAIIISampler(OptunaGenerations):
    """NSGA-III: the elite of each generation is chosen by Pareto front and, in the front
    that does not fit whole, by reference directions (:func:`survivors`), so the trials
    spread over a front of three or more objectives. ``reference_points`` (rows of one
    value per objective, in the normalized objective space) give the directions to keep;
    by default they are the Das-Dennis points with ``dividing_parameter`` divisions per
    axis. Each objective is read toward its own direction (a maximized one flipped) before
    it is normalized. Infeasible trials (``constraints_func``) join the elite only when there are too
    few feasible ones, the least violating first. Generations (stored under
    ``NSGAIIISampler:generation``, as Optuna's), tournaments, crossover and mutation are
    :class:`~nntune.samplers._nsga2.OptunaGenerations`', as for NSGA-II."""

    generation_keys = _KEYS
    trial_facts = _FACTS

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

    def reference_for(self, n_objectives: int) -> np.ndarray:
        """The reference points for a study of ``n_objectives``."""
        if self.reference_points is None:
            return das_dennis(n_objectives, self.dividing_parameter)
        if self.reference_points.shape[1] != n_objectives:
            raise ConfigError("reference_points", f"have {self.reference_points.shape[1]} values each, "
                                                  f"but the study has {n_objectives} objectives")
        return self.reference_points

    def choose(self, candidates: list[Facts], directions: list[str], size: int, generation: int) -> list[int]:
        """Generation ``generation``'s parents among ``candidates``: the feasible ones by
        :func:`survivors` (its niching drawn once per generation, whoever asks), then the
        least violating infeasible ones while there is room."""
        feasible = [i for i, f in enumerate(candidates) if f[2]]
        refs = self.reference_for(len(directions))
        rng = trial_rng(self.seed, generation, 11)
        points = minimized_rows([candidates[i][1] or () for i in feasible], directions)
        kept, _ = survivors(points, size, refs, rng) if feasible else ([], [])
        chosen = [feasible[i] for i in kept]
        infeasible = sorted((i for i, f in enumerate(candidates) if not f[2]), key=lambda i: (candidates[i][3], candidates[i][0]))
        return chosen + infeasible[:max(size - len(chosen), 0)]

    def __repr__(self) -> str:
        return f"NSGAIIISampler(population_size={self.population_size}, seed={self.seed})"
