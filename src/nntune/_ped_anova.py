"""PED-ANOVA's arithmetic, as Optuna's ``PedAnovaImportanceEvaluator`` does it: each
parameter's values counted on a grid over its range (on its own scale), smoothed into a
density with Scott's bandwidth and one trial's worth of prior spread over the range, and the
Pearson divergence of the best trials' density from the region's; a conditional parameter
adds up the divergence of each range it was drawn from (Conditional PED-ANOVA).

:class:`nntune.importance.PedAnovaImportanceEvaluator` chooses the trials, counting them as
:func:`best_count` and :func:`with_ties` say; this module turns them into numbers that equal
Optuna's for the same trials.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr

from nntune.space import Beta, Choice, Int
from nntune.trial import FrozenTrial

N_STEPS = 50  # grid points of a continuous parameter's range, as Optuna's
PRIOR_WEIGHT = 1.0  # the prior counts as one trial, as Optuna's
MIN_TRIALS_IN_REGIME = 2  # a range drawn by fewer region trials is not compared
_SIGMA_MIN = 0.5 / 1.64  # in grid steps: 90% of a kernel's mass stays on its own grid point


def best_count(quantile: float, n: int) -> int:
    """How many of ``n`` trials the best ``quantile`` holds before ties at the cut, as
    Optuna's: ceil(quantile * n), so 1 of 10 trials at 0.1 (the density of one trial is
    still a density: the prior spreads it), and all ``n`` at 1.0."""
    return n if quantile == 1.0 else math.ceil(quantile * n)


def with_ties(sorted_keys: np.ndarray, n: int) -> int:
    """How many of the first trials (``sorted_keys`` ascending, best first) are as good as the
    ``n``-th: trials tied at the cut are all in or all out (as Optuna's quantile filter keeps
    every value at or below its cutoff), never split by trial number."""
    n = min(n, len(sorted_keys))
    return int(np.searchsorted(sorted_keys, sorted_keys[n - 1], side="right"))


def is_single(dist: Any) -> bool:
    """Whether ``dist`` holds one value only (nothing to compare)."""
    if isinstance(dist, Choice):
        return len(dist.values) == 1
    if isinstance(dist, Int):
        return dist.n_values == 1
    return float(dist.low) == float(dist.high)


def grid_counts(dist: Any, values: Sequence[Any]) -> np.ndarray:
    """How many of ``values`` fall at each point of ``dist``'s grid: a choice's values, else
    at most N_STEPS points evenly over the range on its scale (an integer or a stepped float
    of fewer values: one point each; a log-scaled integer: about two points per doubling)."""
    if isinstance(dist, Choice):
        return np.bincount([dist.index(v) for v in values], minlength=len(dist.values)).astype(float)
    n = N_STEPS
    if isinstance(dist, Beta):  # no Optuna counterpart: its own (1 - beta) log scale
        offsets, width = np.array([dist.to_unit(float(v)) for v in values], dtype=float), 1.0
    else:
        if isinstance(dist, Int) and dist.log:
            n = min(int(math.ceil(math.log(dist.high - dist.low + 1) / math.log(2))) + 1, n)
        elif isinstance(dist, Int) or dist.step is not None:
            n = min(round((dist.high - dist.low) / dist.step) + 1, n)
        low, high = (math.log(dist.low), math.log(dist.high)) if dist.log else (float(dist.low), float(dist.high))
        raw = np.array([float(v) for v in values], dtype=float)
        offsets, width = (np.log(raw) if dist.log else raw) - low, high - low
    # A value halfway between two points goes to the lower one, as Optuna's. On a midpoint
    # (0.5 in [0, 1]: 24.5 steps of 50 points) the rounding decides the point, so the offset
    # is divided by the step as Optuna divides it: scaled to [0, 1] and multiplied by the
    # steps, 0.5 went one point below Optuna's (24 for its 25) and read another number.
    idx = np.clip(np.ceil(offsets / (width / (n - 1)) - 0.5).astype(int), 0, n - 1)
    return np.bincount(idx, minlength=n).astype(float)


def _gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(a < Z < b) for a standard normal Z, taken from the tail that keeps its digits."""
    upper = a > 0
    return np.where(upper, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def grid_pdf(counts: np.ndarray, categorical: bool, prior_weight: float = PRIOR_WEIGHT) -> np.ndarray:
    """The Parzen density of ``counts`` at each grid point (summing to 1): a kernel on each
    occupied point weighted by its count, plus a prior kernel of weight ``prior_weight``
    spread over the whole grid. A numeric grid's kernels are normals of Scott's bandwidth
    (at least ``_SIGMA_MIN`` steps) cut to the grid; a choice's put ``prior_weight`` spread
    evenly over the choices besides 1 on their own."""
    size = len(counts)
    obs = np.flatnonzero(counts)
    if len(obs) == 0:
        return np.full(size, 1.0 / size)
    weights = np.append(counts[obs], prior_weight)
    weights = weights / weights.sum()
    if categorical:
        kernels = np.full((len(obs) + 1, size), prior_weight / (len(obs) + 1))
        kernels[np.arange(len(obs)), obs] += 1.0
        sums = kernels.sum(axis=1, keepdims=True)
        kernels /= np.where(sums == 0, 1, sums)
        return weights @ kernels
    w = counts[obs]
    total, cum = w.sum(), np.cumsum(w)
    mean = obs @ w / total
    sigma = math.sqrt(((obs - mean) ** 2) @ w / max(1.0, total - 1))
    q1 = np.searchsorted(cum, total // 4, side="left")
    q3 = np.searchsorted(cum, total * 3 // 4, side="right")
    iqr = obs[min(len(obs) - 1, q3)] - obs[q1]
    sigma = max(1.059 * min(iqr / 1.34, sigma) * total ** -0.2, _SIGMA_MIN)
    mus = np.r_[obs.astype(float), (size - 1) / 2.0]
    sigmas = np.r_[np.full(len(obs), sigma), float(size)]  # the prior: wider than the grid
    grid = np.arange(size, dtype=float)[:, None]
    mass = _gauss_mass((grid - 0.5 - mus) / sigmas, (grid + 0.5 - mus) / sigmas)
    inside = _gauss_mass((-0.5 - mus) / sigmas, (size - 0.5 - mus) / sigmas)
    return (mass / inside) @ weights


def pearson_divergence(dist: Any, top: Sequence[Any], region: Sequence[Any], evaluate_on_local: bool) -> float:
    """How far the best trials' values ``top`` are spread unlike ``region``'s (or, with
    ``evaluate_on_local=False``, unlike a uniform spread over the whole range)."""
    categorical = isinstance(dist, Choice)
    p_top = grid_pdf(grid_counts(dist, top), categorical) + 1e-12
    if evaluate_on_local:
        p_region = grid_pdf(grid_counts(dist, region), categorical) + 1e-12
    else:
        p_region = np.full(len(p_top), 1.0 / len(p_top))
    return float(p_region @ ((p_top / p_region - 1.0) ** 2))


def ped_anova(name: str, top: Sequence[FrozenTrial], region: Sequence[FrozenTrial], evaluate_on_local: bool) -> float:
    """``name``'s importance for reaching ``top`` among ``region`` (``top`` a subset):
    the region's trials grouped by the distribution they drew ``name`` from (its absence is
    a group too, which holds no divergence), each group of at least MIN_TRIALS_IN_REGIME
    adding its divergence weighted by alpha^2 / beta (alpha its share of ``top``, beta of
    ``region``), the sum scaled by (|top| / |region|)^2 (Conditional PED-ANOVA, Theorem 4.2)."""
    best = {id(t) for t in top}
    total = 0.0
    for dist, trials in _regimes(name, region):
        if dist is None or len(trials) < MIN_TRIALS_IN_REGIME or is_single(dist):
            continue
        tops = [t for t in trials if id(t) in best]
        if not tops:
            continue
        alpha, beta = len(tops) / len(top), len(trials) / len(region)
        total += alpha ** 2 / beta * pearson_divergence(dist, [t.params[name] for t in tops],
                                                        [t.params[name] for t in trials], evaluate_on_local)
    return total * (len(top) / len(region)) ** 2


def _regimes(name: str, region: Sequence[FrozenTrial]) -> list[tuple[Any, list[FrozenTrial]]]:
    """``region``'s trials grouped by the distribution they drew ``name`` from (None: not drawn)."""
    regimes: dict[Hashable, tuple[Any, list[FrozenTrial]]] = {}
    for t in region:
        dist = t.distributions.get(name)
        regimes.setdefault(repr(dist), (dist, []))[1].append(t)  # repr: a Choice of lists hashes too
    return list(regimes.values())


def thin_ranges(name: str, region: Sequence[FrozenTrial]) -> list[int]:
    """How many trials of ``region`` drew ``name`` from each range that fewer than
    MIN_TRIALS_IN_REGIME of them drew it from: those trials are left out of its importance."""
    return [len(trials) for dist, trials in _regimes(name, region)
            if dist is not None and len(trials) < MIN_TRIALS_IN_REGIME]
