"""The best ``k`` of a set of points under several objectives, without preferring any one:
whole non-dominated fronts while they fit, then, from the front that does not fit whole, the
points that add the most hypervolume one after another (a greedy answer to the hypervolume
subset selection problem), as Optuna's multi-objective TPE and PED-ANOVA choose their best
trials. All objectives are minimized."""

from __future__ import annotations

import numpy as np

from nntune._hypervolume import hypervolume
from nntune.samplers._nsga import nondominated_fronts


def reference_point(points: np.ndarray) -> np.ndarray:
    """A point a little worse than the worst of ``points`` in every objective (10% of its
    size, a tiny step at 0), so that every point adds some volume (Optuna's choice)."""
    worst = np.max(points, axis=0)
    ref = np.maximum(1.1 * worst, 0.9 * worst)
    ref[ref == 0] = 1e-12
    return ref


def greedy_subset(points: np.ndarray, k: int) -> list[int]:
    """Indices of ``k`` rows of ``points`` (one front) picked one at a time, each the row
    that adds the most hypervolume to those picked before (the lowest index on a tie)."""
    ref = reference_point(points)
    chosen: list[int] = []
    left = list(range(len(points)))
    for _ in range(min(k, len(points))):
        gains = [hypervolume(points[chosen + [i]], ref) for i in left]
        best = left[int(np.argmax(gains))]
        chosen.append(best)
        left.remove(best)
    return chosen


def pareto_best(points: np.ndarray, k: int) -> list[int]:
    """Indices of the ``k`` best rows of ``points``: the fronts in order, then the greedy
    hypervolume subset of the first front that does not fit whole. A larger ``k`` keeps the
    rows a smaller one chose (the greedy picks are a prefix of each other)."""
    picked: list[int] = []
    for front in nondominated_fronts(np.asarray(points, dtype=float)):
        room = k - len(picked)
        if room <= 0:
            break
        if len(front) <= room:
            picked.extend(front)
        else:
            picked.extend(front[i] for i in greedy_subset(points[front], room))
    return picked
