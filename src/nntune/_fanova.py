"""Functional ANOVA on a fitted regression forest (Hutter, Hoos and Leyton-Brown, 2014):
the share of a tree's variance over the search box that each parameter explains alone.

A tree cuts the box into leaf boxes, each with one predicted value. Under a uniform
measure on the box, the variance of the tree is the volume-weighted spread of its leaf
values; a parameter's main effect is the tree averaged over every other parameter, which
is constant between consecutive split points of that parameter, and the variance of that
marginal is its share. Shares are averaged over the trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tree:
    """The arrays of a fitted binary regression tree, as scikit-learn's ``tree_`` holds
    them: node ``i`` sends ``x[feature[i]] <= threshold[i]`` to ``left[i]``, the rest to
    ``right[i]``; a leaf has ``left[i] == -1`` and predicts ``value[i]``."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray

    @classmethod
    def from_sklearn(cls, estimator: object) -> Tree:
        t = estimator.tree_  # type: ignore[attr-defined]
        return cls(t.children_left, t.children_right, t.feature, t.threshold, t.value.reshape(len(t.value), -1)[:, 0])


def leaf_boxes(tree: Tree, lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(box_lows, box_highs, values)``: every leaf's box inside ``[lows, highs]`` and its
    prediction; a leaf whose box is empty there is left out."""
    out_lo: list[np.ndarray] = []
    out_hi: list[np.ndarray] = []
    out_v: list[float] = []
    stack = [(0, lows.astype(float).copy(), highs.astype(float).copy())]
    while stack:
        node, lo, hi = stack.pop()
        if tree.left[node] == -1:
            if np.all(hi > lo):
                out_lo.append(lo)
                out_hi.append(hi)
                out_v.append(float(tree.value[node]))
            continue
        f, cut = int(tree.feature[node]), float(tree.threshold[node])
        left_hi = hi.copy()
        left_hi[f] = min(hi[f], cut)
        right_lo = lo.copy()
        right_lo[f] = max(lo[f], cut)
        stack.append((int(tree.left[node]), lo, left_hi))
        stack.append((int(tree.right[node]), right_lo, hi))
    return np.array(out_lo), np.array(out_hi), np.array(out_v)


def main_effects(tree: Tree, lows: Sequence[float], highs: Sequence[float]) -> tuple[np.ndarray, float]:
    """``(variance explained by each feature alone, the tree's total variance)`` under the
    uniform measure on the box ``[lows, highs]`` (each ``high > low``)."""
    lo, hi = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
    width = hi - lo
    b_lo, b_hi, v = leaf_boxes(tree, lo, hi)
    d = len(lo)
    if len(v) == 0:
        return np.zeros(d), 0.0
    frac = (b_hi - b_lo) / width  # each leaf's share of each side of the box
    weight = frac.prod(axis=1)  # its share of the volume
    mean = float(weight @ v)
    total = float(weight @ (v - mean) ** 2)
    effects = np.zeros(d)
    for i in range(d):
        cuts = np.unique(np.concatenate([b_lo[:, i], b_hi[:, i]]))  # every split point on i, and the ends
        mids = (cuts[:-1] + cuts[1:]) / 2
        share = np.diff(cuts) / width[i]
        others = weight / frac[:, i]  # the leaf's volume share outside dimension i
        covers = (b_lo[:, i][None, :] <= mids[:, None]) & (mids[:, None] < b_hi[:, i][None, :])
        marginal = covers @ (others * v)  # the tree averaged over the other features, per interval
        effects[i] = float(share @ (marginal - mean) ** 2)
    return effects, total


def fanova_importances(trees: Sequence[Tree], lows: Sequence[float], highs: Sequence[float]) -> np.ndarray:
    """Each feature's main-effect share of the variance, averaged over the trees that vary
    (a constant tree says nothing); zeros when none varies."""
    shares = []
    for tree in trees:
        effects, total = main_effects(tree, lows, highs)
        if total > 0:
            shares.append(effects / total)
    return np.mean(shares, axis=0) if shares else np.zeros(len(lows))
