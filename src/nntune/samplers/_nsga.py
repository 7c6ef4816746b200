"""Several objectives for samplers built for one, and the genetic samplers' shared parts.

A study of several objectives hands its sampler a view of the history in which each
complete trial's value is its place in the non-dominated sorting: the index of its Pareto
front (0 for the front itself), plus a fraction below one half that is smaller the more
isolated the trial is on its front (crowding distance). Lower is better. TPE splitting
that view into good and bad trials is the multi-objective TPE's split (by front, then by
spread); NSGA-II (``_nsga2.py``) and NSGA-III (``_nsga3.py``) choose their elites from the
trials as stored (:func:`stored_trials`) with the sorting here; the generations,
tournaments, crossover and mutation they share are :class:`GenerationalSampler`'s, in
``_generational.py``."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nntune.samplers._constraints import ConstrainedView, is_feasible
from nntune.samplers._generational import GenerationalSampler  # noqa: F401 (importable from here)
from nntune.samplers._trial_memo import ScoredCopies, TrialMemo
from nntune.trial import FrozenTrial, TrialState


def is_scored(trial: FrozenTrial, n_objectives: int, *, infinite: bool = False) -> bool:
    """Whether a trial takes part in the non-dominated sorting: complete, with a finite
    value for each of the ``n_objectives`` (with ``infinite``, an infinite one counts too,
    as Optuna's fronts count it: inf is a value, only NaN is none)."""
    values = trial.values if trial.state == TrialState.COMPLETE else None
    return values is not None and len(values) == n_objectives and \
        all(not math.isnan(v) if infinite else math.isfinite(v) for v in values)


def minimized(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> np.ndarray:
    """The trials' values as rows to minimize: a maximized objective's sign is flipped, so
    every rule after this one reads lower as better."""
    return minimized_rows([t.values for t in trials], directions)


def minimized_rows(rows: Sequence[Any], directions: Sequence[str]) -> np.ndarray:
    """:func:`minimized` of the values themselves, one row per trial."""
    sign = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return np.array(rows, dtype=float).reshape(len(rows), len(directions)) * sign


def dominance(points: np.ndarray, block: int = 256) -> np.ndarray:
    """``out[i, j]``: whether row ``i`` dominates row ``j`` (:func:`nntune.trial.dominates`
    on rows to minimize, for all pairs at once), built ``block`` rows at a time so the
    comparison needs little memory beyond the answer's one byte per pair."""
    n, m = points.shape
    out = np.zeros((n, n), dtype=bool)
    for lo in range(0, n, block):
        rows = points[lo:lo + block]
        no_worse = np.ones((len(rows), n), dtype=bool)
        better = np.zeros((len(rows), n), dtype=bool)
        for k in range(m):  # one objective at a time: a few 2-d comparisons, no 3-d temporary
            no_worse &= rows[:, k, None] <= points[None, :, k]
            better |= rows[:, k, None] < points[None, :, k]
        out[lo:lo + block] = no_worse & better
    return out


def nondominated_fronts(points: np.ndarray) -> list[list[int]]:
    """Row indices of ``points`` (to minimize on every column) by Pareto front, best first,
    each front in index order. A study's whole history is sorted on every ask: two objectives
    (the usual case) take :func:`fronts_of_two` in O(n log n); more build the n x n dominance
    matrix, vectorized."""
    if not len(points):
        return []
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    if points.shape[1] == 2:
        return fronts_of_two(points)
    beats = dominance(points)
    dominated_by = beats.sum(axis=0)
    placed = np.zeros(len(beats), dtype=bool)
    fronts: list[list[int]] = []
    current = np.flatnonzero(dominated_by == 0)
    while len(current):
        fronts.append([int(i) for i in current])
        placed[current] = True
        dominated_by = dominated_by - beats[current].sum(axis=0)
        current = np.flatnonzero((dominated_by == 0) & ~placed)
    return fronts


def fronts_of_two(points: np.ndarray) -> list[list[int]]:
    """:func:`nondominated_fronts` of rows of two columns without the n x n matrix (a
    million bytes per thousand trials squared, rebuilt at every ask): :func:`front_ids`,
    grouped."""
    return _grouped(front_ids_of_two(points))


def _grouped(ids: np.ndarray) -> list[list[int]]:
    """Row indices by front index, each front in index order."""
    order = np.argsort(ids, kind="stable")
    bounds = np.cumsum(np.bincount(ids))[:-1] if len(ids) else []
    return [part.tolist() for part in np.split(order, bounds)]


def front_ids_of_two(points: np.ndarray) -> np.ndarray:
    """Each row's front index (0 for the first front), for rows of two columns to minimize,
    by the sequential rule of Zhang et al., "An Efficient Approach to Nondominated Sorting"
    (2015): taken in lexicographic order, a point can only be dominated by one taken before
    it, and it joins the first front whose latest member does not dominate it. Along a front
    the second column falls as the first grows, so that latest member dominates it if any
    member does, and the fronts' latest members rise in the second column from front to
    front: a binary search (``bisect``, in C) on that column finds its front, stepping back
    over latest members equal to the point (an equal point does not dominate)."""
    n = len(points)
    order = np.lexsort((points[:, 1], points[:, 0]))
    xs, ys = points[order, 0].tolist(), points[order, 1].tolist()
    last_x: list[float] = []  # each front's latest member
    last_y: list[float] = []
    placed = [0] * n
    for pos in range(n):
        x, y = xs[pos], ys[pos]
        k = bisect.bisect_right(last_y, y)
        while k and last_y[k - 1] == y and last_x[k - 1] == x:
            k -= 1
        if k == len(last_y):
            last_x.append(x)
            last_y.append(y)
        else:
            last_x[k], last_y[k] = x, y
        placed[pos] = k
    ids = np.empty(n, dtype=np.intp)
    ids[order] = placed
    return ids


def first_front(points: np.ndarray, block: int = 256) -> list[int]:
    """The first of :func:`nondominated_fronts` (the rows no other row dominates, in index
    order) without the n x n matrix: two columns by :func:`fronts_of_two`, more by checking
    ``block`` rows at a time against all."""
    if not len(points):
        return []
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    if points.shape[1] == 2:
        return fronts_of_two(points)[0]
    n, m = points.shape
    kept: list[int] = []
    for lo in range(0, n, block):
        rows = points[lo:lo + block]
        no_worse = np.ones((n, len(rows)), dtype=bool)  # [j, i]: row j is no worse than row lo + i
        better = np.zeros((n, len(rows)), dtype=bool)
        for k in range(m):
            no_worse &= points[:, k, None] <= rows[None, :, k]
            better |= points[:, k, None] < rows[None, :, k]
        kept.extend(lo + int(i) for i in np.flatnonzero(~(no_worse & better).any(axis=0)))
    return kept


def pareto_trials(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """:func:`nntune.trial.pareto_front` (the complete trials with a value for each
    objective that no other such trial dominates, in the order given) by :func:`first_front`:
    a study's best trials, the dashboard's and the report's front. Comparing every trial with
    every other in Python took minutes once the front held thousands of trials (a study that
    NSGA-II has spread along its front)."""
    done = [t for t in trials if is_scored(t, len(directions), infinite=True)]
    return [done[i] for i in first_front(minimized(done, directions))] if done else []


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


def front_ids(points: np.ndarray) -> np.ndarray:
    """Each row's index in :func:`nondominated_fronts` (0 for the first front)."""
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    if points.shape[1] == 2:
        return front_ids_of_two(points)
    ids = np.zeros(len(points), dtype=np.intp)
    for rank, front in enumerate(nondominated_fronts(points)):
        ids[front] = rank
    return ids


def crowding_by_front(points: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """:func:`crowding_distance` of every point within its front (``ids``: each point's
    front), all fronts at once: the same sums in the same order, so the very same numbers,
    without a numpy call per front (a large study has hundreds of fronts)."""
    n, m = points.shape
    distance = np.zeros(n)
    if not n:
        return distance
    size = np.bincount(ids)
    first = np.concatenate(([0], np.cumsum(size)[:-1]))  # each front's start in the sorted order
    start = np.repeat(first, size)  # per sorted position: its front's first and last position
    end = start + np.repeat(size, size) - 1
    pos = np.arange(n)
    small = np.repeat(size <= 2, size)  # a front of one or two: all infinite, as crowding_distance
    inner = (pos > start) & (pos < end) & ~small
    with np.errstate(invalid="ignore"):
        for k in range(m):
            order = np.lexsort((points[:, k], ids))  # by front, then value; ties in index order
            v = points[order, k]
            span = v[end] - v[start]
            distance[order[(pos == start) | (pos == end) | small]] = math.inf
            grow = inner & (span > 0)
            at = np.flatnonzero(grow)
            distance[order[at]] += (v[at + 1] - v[at - 1]) / span[at]
    return distance


def pareto_scores(points: np.ndarray) -> np.ndarray:
    """A score per point, lower better: its front's index plus ``0.5 / (1 + crowding
    distance)``, so the front's ends add nothing and the most crowded points up to a half."""
    if not len(points):
        return np.zeros(0)
    points = np.asarray(points, dtype=float).reshape(len(points), -1)
    ids = front_ids(points)
    return ids + 0.5 / (1.0 + crowding_by_front(in_reach(points), ids))  # a front's end (infinite distance) adds 0


def in_reach(points: np.ndarray) -> np.ndarray:
    """``points`` with each infinite value put just past its column's finite ones (a span
    beyond them), for the crowding distance: inf - inf is no distance. The fronts are
    sorted on the values themselves."""
    out = points.copy()
    for k in range(out.shape[1]):
        column = out[:, k]
        finite = column[np.isfinite(column)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
        reach = max(high - low, 1.0)
        column[column == math.inf], column[column == -math.inf] = high + reach, low - reach
    return out


def _values_and_feasible(trial: FrozenTrial) -> tuple[tuple[float, ...] | None, bool]:
    """A complete trial's values (None for any other), and whether it is feasible."""
    values = trial.values if trial.state == TrialState.COMPLETE else None
    return (None if values is None else tuple(values)), is_feasible(trial)


_SCORED = TrialMemo(_values_and_feasible)
_COPIES = ScoredCopies()


def pareto_view(history: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The history with each feasible complete trial's value replaced by its Pareto score
    (to minimize); other trials unchanged. A pure view: storage is untouched.

    Each finished trial's values and feasibility are read once per trial object
    (:class:`TrialMemo`), and a trial whose score did not move keeps the copy made before
    (:class:`ScoredCopies`): per ask, what is left is one pass over the history and the
    sorting itself."""
    m = len(directions)
    out = list(history)
    facts = _SCORED.many(out)
    done = [i for i, (values, feasible) in enumerate(facts)
            if feasible and values is not None and len(values) == m]  # infeasible: ranked by constrained_view
    rows = [facts[i][0] for i in done]
    if not done:
        return out
    points = minimized_rows(rows, directions)
    scored = ~np.isnan(points).any(axis=1)  # an infinite value is ranked, as on the study's front
    if not scored.all():
        done = [i for i, ok in zip(done, scored.tolist()) if ok]
        points = points[scored]
    for i, copy in zip(done, _COPIES.many([out[i] for i in done], pareto_scores(points).tolist())):
        out[i] = copy
    return out


class ParetoView(Sequence[FrozenTrial]):
    """:func:`pareto_view` of a history, computed the first time a sampler looks (a
    sampler that draws from the seed alone never reads the history)."""

    def __init__(self, history: Sequence[FrozenTrial], directions: Sequence[str]) -> None:
        self._history = history
        self._directions = list(directions)
        self._view: list[FrozenTrial] | None = None

    @property
    def directions(self) -> list[str]:
        """Each objective's direction: a sampler that needs the values themselves (NSGA-III)
        reads them here, since the scores it is handed are all to minimize."""
        return list(self._directions)

    def _load(self) -> list[FrozenTrial]:
        if self._view is None:
            self._view = pareto_view(list(self._history), self._directions)
        return self._view

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __iter__(self) -> Iterator[FrozenTrial]:  # not Sequence's, which indexes (and loads) per item
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def stored_trials(history: Sequence[FrozenTrial]) -> Sequence[FrozenTrial]:
    """The trials as stored under the views a study hands its sampler (a
    :class:`ConstrainedView` over a :class:`ParetoView`). The genetic samplers read each
    trial's own values, feasibility and violation and rank them among their own candidates;
    the views rank the whole history (and rewrite only ``value``), so building them at every
    ask was work for nothing: about two thirds of an ask at 300 trials, and their fresh
    copies missed the per-trial memo besides."""
    while isinstance(history, (ConstrainedView, ParetoView)):
        history = history._history  # the views keep what they wrap; nothing else of theirs is read
    return history


def objective_directions(history: Sequence[FrozenTrial], direction: str) -> list[str]:
    """The objectives' directions: the study's, where the history it hands a sampler carries
    them (its Pareto view does), else ``direction`` for each value of the first complete
    trial (read from the stored trials: a view's ranking would change no value's count)."""
    given = getattr(history, "directions", None)
    if given:
        return list(given)
    first = next((t for t in stored_trials(history) if t.state == TrialState.COMPLETE and t.values), None)
    return [direction] * (len(first.values) if first is not None and first.values else 1)
