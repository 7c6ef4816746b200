"""The hypervolume of a set of points: the volume they dominate, bounded by a reference
point, all objectives minimized. Slicing objectives one at a time (Hypervolume by Slicing
Objectives, While et al. 2006): exact, and fast for the fronts a study of a few objectives
has."""

from __future__ import annotations

import numpy as np


def nondominated(points: np.ndarray) -> np.ndarray:
    """The rows no other row dominates (at least as low in every objective, lower in one)."""
    if len(points) == 0:
        return points
    keep = []
    for i, p in enumerate(points):
        dominated = np.any(np.all(points <= p, axis=1) & np.any(points < p, axis=1))
        duplicate = any(np.array_equal(p, points[j]) for j in keep)
        if not dominated and not duplicate:
            keep.append(i)
    return points[keep]


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """The volume between ``points`` (rows, minimized) and ``reference``; points not below
    the reference in every objective add nothing."""
    pts = np.asarray(points, dtype=float).reshape(-1, len(reference))
    ref = np.asarray(reference, dtype=float)
    pts = nondominated(pts[np.all(pts < ref, axis=1)])
    if len(pts) == 0:
        return 0.0
    if len(ref) == 1:
        return float(ref[0] - pts[:, 0].min())
    pts = pts[np.argsort(pts[:, -1], kind="stable")]
    total = 0.0
    for i in range(len(pts)):
        top = pts[i + 1, -1] if i + 1 < len(pts) else ref[-1]
        if top > pts[i, -1]:  # the slab up to the next point's height, over the points below it
            total += (top - pts[i, -1]) * hypervolume(pts[: i + 1, :-1], ref[:-1])
    return total


def hypervolume_history(values: list[list[float]], reference: np.ndarray) -> list[float]:
    """The hypervolume after each of ``values`` (in trial order) joined the set."""
    out: list[float] = []
    front = np.empty((0, len(reference)))
    for v in values:
        front = nondominated(np.vstack([front, np.asarray(v, dtype=float)[None, :]]))
        out.append(hypervolume(front, reference))
    return out
