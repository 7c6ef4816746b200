"""How much a study's own curves say about its first rung: pure functions under ASHA.

- :func:`epoch_noise`: the epoch-to-epoch noise of a study's curves. If a curve is a
  smooth trend plus independent noise of spread ``s`` per epoch, its second differences
  ``v[e+1] - 2 v[e] + v[e-1]`` have spread ``s * sqrt(6)`` and the trend's curvature only
  moves their median little; so ``s`` is estimated as the median absolute second
  difference over all curves, scaled to a standard deviation (1.4826) and divided by
  ``sqrt(6)``.
- :func:`early_rank_correlations` and :func:`rank_grace`: the Spearman rank correlation of
  each epoch's value with the final value over the study's finished trials, and the
  first epoch where it reaches ``min_corr``: where a rung there would rank
  configurations as the end does. Before enough trials finished, a fallback.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

MAD_TO_SD = 1.4826


def second_differences(curve: Mapping[int, float]) -> list[float]:
    """``v[e+1] - 2 v[e] + v[e-1]`` over three consecutive reported steps (finite only)."""
    steps = sorted(curve)
    out = []
    for a, b, c in zip(steps, steps[1:], steps[2:]):
        va, vb, vc = curve[a], curve[b], curve[c]
        if math.isfinite(va) and math.isfinite(vb) and math.isfinite(vc):
            out.append(vc - 2 * vb + va)
    return out


def epoch_noise(curves: Sequence[Mapping[int, float]], min_points: int = 3) -> float | None:
    """The per-epoch noise of ``curves`` (see the module's docstring); ``None`` with fewer
    than ``min_points`` second differences to go on."""
    diffs = [abs(d) for c in curves for d in second_differences(c)]
    if len(diffs) < min_points:
        return None
    return MAD_TO_SD * statistics.median(diffs) / math.sqrt(6)


def early_rank_correlations(curves: Sequence[Mapping[int, float]], finals: Sequence[float],
                            epochs: Sequence[int]) -> dict[int, float]:
    """Spearman's rho of the value at each of ``epochs`` with the final value, over the
    curves that reported that epoch (NaN with fewer than three or no spread)."""
    from scipy.stats import spearmanr  # only once trials have finished, so ``import nntune`` stays light

    out: dict[int, float] = {}
    for e in epochs:
        pairs = [(c[e], f) for c, f in zip(curves, finals)
                 if e in c and math.isfinite(c[e]) and math.isfinite(f)]
        if len(pairs) < 3 or len({p[0] for p in pairs}) < 2 or len({p[1] for p in pairs}) < 2:
            out[e] = math.nan
        else:
            out[e] = float(spearmanr(*zip(*pairs))[0])
    return out


def rank_grace(curves: Sequence[Mapping[int, float]], finals: Sequence[float], max_resource: int, *,
               min_corr: float = 0.6, min_trials: int = 5, fallback: int = 1) -> int:
    """The first epoch below ``max_resource`` whose values rank the finished trials as their
    final values do (rho at least ``min_corr``); ``max_resource`` (no early rung) when none
    does; ``fallback`` while fewer than ``min_trials`` trials have finished."""
    if len(finals) < min_trials:
        return fallback
    rhos = early_rank_correlations(curves, finals, range(1, max_resource))
    return next((e for e in range(1, max_resource) if rhos[e] >= min_corr), max_resource)
