"""Learning-curve extrapolation: a weighted ensemble of parametric curve families.

After Domhan, Springenberg and Hutter (2015), "Speeding up automatic hyperparameter
optimization of deep neural networks by extrapolation of learning curves": a partial
curve is fitted by several saturating families, each weighted by how well it explains the
curve for its number of parameters (the small-sample Akaike criterion, AICc, which also
keeps a four-parameter family out until there are enough points to fit it honestly), and
the value at the horizon is predicted as the weighted mean, with a variance made of the
families' spread, the curve's own residual noise and a calibration factor measured on the
study's finished trials (how far their own predictions were off at the same epoch, in
standard deviations no smaller than the metric's resolution).

Everything here works on curves that rise (a maximized metric); a minimized one is
negated by the caller. All functions are pure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def _grid(*axes: Array) -> Array:
    """Every combination of the axes' values, one row each."""
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(axes))


@dataclass(frozen=True)
class Family:
    """A family ``y = c + a * h(x; theta)`` with ``h`` rising in ``x`` (epochs, >= 1) and
    ``a >= 0``. ``c`` and ``a`` enter linearly, so for each ``theta`` they are solved in
    closed form; ``theta`` (positive, one row per candidate) is searched on ``grid`` (log
    spaced, ``log_step`` apart on each axis) and then on finer grids around the best row.
    No iterative optimizer can fail to converge, and a fit costs a few matrix products."""

    name: str
    n_params: int
    h: Callable[[Array, Array], Array]  # (x (n,), theta (m, d)) -> (m, n)
    grid: Array  # (m, d), d >= 0 (log-linear and ilog2 have no theta)
    log_step: Array  # (d,)


def _family(name: str, n_params: int, h: Callable[[Array, Array], Array],
            *axes: tuple[float, float, int]) -> Family:
    """A family whose ``theta`` axes are ``(low, high, points)``, log spaced."""
    grid = _grid(*(np.geomspace(lo, hi, k) for lo, hi, k in axes)) if axes else np.zeros((1, 0))
    step = np.array([math.log(hi / lo) / (k - 1) for lo, hi, k in axes])
    return Family(name, n_params, h, grid, step)


# Domhan et al.'s families that rise to an asymptote (or, log-linear, without one).
FAMILIES: tuple[Family, ...] = (
    _family("pow3", 3, lambda x, t: -(x[None, :] ** -t[:, :1]), (0.01, 4.0, 24)),  # c - a x^-alpha
    _family("log_linear", 2, lambda x, t: np.log(x)[None, :]),  # c + a log x
    _family("exp3", 3, lambda x, t: -np.exp(-t[:, :1] * x[None, :]), (1e-3, 3.0, 24)),  # c - a e^(-b x)
    _family("ilog2", 2, lambda x, t: -1.0 / np.log(x + 1.0)[None, :]),  # c - a / log(x + 1)
    _family("janoschek", 4, lambda x, t: -np.exp(-t[:, :1] * x[None, :] ** t[:, 1:2]),  # c - a e^(-k x^delta)
            (1e-4, 5.0, 16), (0.1, 3.0, 8)),
    _family("mmf", 4, lambda x, t: -1.0 / (1.0 + (t[:, :1] * x[None, :]) ** t[:, 1:2]),  # c - a / (1 + (k x)^delta)
            (1e-3, 10.0, 16), (0.1, 5.0, 8)),
)
_ZOOM = np.linspace(-1.0, 1.0, 9)  # a finer grid spans one step of the coarser each way


def _solve(h: Array, n: int, z: Array) -> tuple[Array, Array, Array]:
    """For every row of ``h`` (its first ``n`` columns observed), the least-squares ``c``
    and ``a >= 0`` and the residual sum of squares."""
    obs = h[:, :n]
    mean_h = obs.sum(axis=1) / n
    centred = obs - mean_h[:, None]
    var = np.einsum("ij,ij->i", centred, centred)
    zc = z - z.sum() / n
    a = (centred @ zc / np.maximum(var, 1e-12)) * (var > 1e-12)
    np.clip(a, 0.0, None, out=a)
    c = (z.sum() / n) - a * mean_h
    r = z[None, :] - c[:, None] - a[:, None] * obs
    return c, a, np.einsum("ij,ij->i", r, r)


def fit_family(family: Family, x: Array, z: Array, ahead: Array, refine: int = 2) -> tuple[float, Array]:
    """The family's least-squares fit to ``z`` at ``x`` with ``a >= 0``: its residual sum of
    squares and its values at ``ahead``. ``theta`` is searched on the family's grid, then
    ``refine`` times on a finer grid around the best so far."""
    both = np.concatenate([x, ahead])
    grid, step = family.grid, family.log_step
    h = family.h(both, grid)
    c, a, rss = _solve(h, len(x), z)
    j = int(np.argmin(rss))
    for _ in range(refine if grid.shape[1] else 0):
        grid = grid[j] * np.exp(_grid(*(s * _ZOOM for s in step)))
        step = step / 4
        h = family.h(both, grid)
        c, a, rss = _solve(h, len(x), z)
        j = int(np.argmin(rss))
    return float(rss[j]), c[j] + a[j] * h[j, len(x):]


@dataclass(frozen=True)
class CurveFit:
    """The ensemble fitted to one partial curve, in the caller's units.

    ``steps``/``mean``/``spread`` run from the step after the last observed one to the
    horizon (the ensemble mean there and its spread over families; at most
    :data:`MAX_AHEAD` steps, evenly spread, when the horizon is far); ``noise`` is the
    residual standard deviation of one reported value; ``weights`` maps each family that
    took part to its weight."""

    last_step: int
    horizon: int
    steps: tuple[int, ...]
    mean: tuple[float, ...]
    spread: tuple[float, ...]
    noise: float
    weights: dict[str, float]

    @property
    def final_mean(self) -> float:
        return self.mean[-1]

    def final_std(self, calibration: float = 1.0) -> float:
        """Standard deviation of the value at the horizon: spread and noise, scaled by
        ``calibration`` (how much wider the finished trials showed it must be)."""
        return calibration * math.hypot(self.spread[-1], self.noise)


def _aicc(rss: float, n: int, k: int) -> float:
    return n * math.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


MAX_AHEAD = 200  # steps a prediction is drawn at, the horizon always among them


def ahead_steps(last: int, horizon: int, most: int = MAX_AHEAD) -> Array:
    """The steps after ``last`` up to ``horizon`` a fit predicts: each of them, or ``most``
    spread evenly over them (ending at the horizon) when there are more. An objective that
    reports every batch may have thousands of steps to go: predicting every one of them, and
    storing the prediction with the trial, at every report cost in proportion to them (a
    horizon 100,000 steps away took 0.9 s a fit and stored four lists of 100,000 numbers)."""
    if horizon - last <= most:
        return np.arange(last + 1, horizon + 1)
    return np.unique(np.linspace(last + 1, horizon, most).round().astype(int))


MOST_POINTS = 256  # points a fit sees: a curve of epochs has fewer, one of batches thousands


def thinned(pts: list[tuple[int, float]], most: int = MOST_POINTS) -> list[tuple[int, float]]:
    """``pts``, or ``most`` of them spread evenly over it, the first and last kept. A fit
    costs in proportion to its points (19 ms at 4,000 reported batches), and a few hundred
    evenly spread points pin a saturating curve and its noise as well as all of them."""
    if len(pts) <= most:
        return pts
    return [pts[i] for i in np.unique(np.linspace(0, len(pts) - 1, most).round().astype(int))]


def fit_curve(steps: Sequence[int], values: Sequence[float], horizon: int,
              families: Sequence[Family] = FAMILIES, window: float = 1.0, least: int = 6) -> CurveFit | None:
    """Fit ``families`` to the rising curve ``values`` at ``steps`` and extrapolate to
    ``horizon`` (at :func:`ahead_steps`); ``None`` when fewer than four finite points lie
    below the horizon or no family fits. A family takes part once there are at least
    ``n_params + 2`` points.
    Steps are counted from 1 for the families (a curve reported from step 0 is shifted).
    Only the latest ``window`` share of the points is fitted (at least ``least`` of them):
    what the curve does lately says more about where it ends than its first epochs do."""
    pts = sorted((int(s), float(v)) for s, v in zip(steps, values) if math.isfinite(v))
    if len(pts) < 4 or pts[-1][0] >= horizon:
        return None
    shift = max(0, 1 - pts[0][0])
    pts = thinned(pts[-max(least, math.ceil(window * len(pts))):])
    x = np.array([p[0] + shift for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    lo, hi = float(y.min()), float(y.max())
    scale = max(hi - lo, 1e-9 * max(1.0, abs(hi)))
    z = (y - lo) / scale
    ahead = (ahead_steps(pts[-1][0], horizon) + shift).astype(float)
    n = len(z)
    floor = 1e-6  # residual floor (normalized): a perfect fit must not take every weight
    fits: list[tuple[str, float, Array, float]] = []  # name, AICc, prediction ahead, residual var
    for fam in families:
        k = fam.n_params
        if n < k + 2:
            continue
        with np.errstate(all="ignore"):
            rss, pred = fit_family(fam, x, z, ahead)
        if not (math.isfinite(rss) and np.all(np.isfinite(pred))):
            continue
        rss = max(rss, floor * n)
        fits.append((fam.name, _aicc(rss, n, k), pred, rss / max(1, n - k)))
    if not fits:
        return None
    best = min(f[1] for f in fits)
    w = np.array([math.exp(-0.5 * (f[1] - best)) for f in fits])
    w /= w.sum()
    preds = np.stack([f[2] for f in fits])
    mean = w @ preds
    spread = np.sqrt(np.maximum(w @ (preds - mean) ** 2, 0.0))
    noise = math.sqrt(float(w @ np.array([f[3] for f in fits])))
    return CurveFit(last_step=pts[-1][0], horizon=horizon, steps=tuple(int(s) - shift for s in ahead),
                    mean=tuple(float(v) for v in lo + scale * mean),
                    spread=tuple(float(v) for v in scale * spread), noise=scale * noise,
                    weights={f[0]: float(wi) for f, wi in zip(fits, w)})


def probability_above(mean: float, std: float, target: float) -> float:
    """P(value > target) for a normal prediction; a point prediction (std 0) gives 0 or 1."""
    if std <= 0 or not math.isfinite(std):
        return 1.0 if mean > target else 0.0
    return 0.5 * math.erfc((target - mean) / (std * math.sqrt(2.0)))


def resolution(curves: Sequence[Sequence[float]]) -> float:
    """The metric's resolution as the study has seen it: the smallest non-zero difference
    between two successive reported values of one curve (an accuracy on ``n`` validation
    samples moves by at least ``1/n``); 0 when no curve ever moved."""
    diffs = [abs(b - a) for c in curves for a, b in zip(c, c[1:]) if math.isfinite(a) and math.isfinite(b)]
    return min((d for d in diffs if d > 0), default=0.0)


def calibration_factor(records: Sequence[tuple[float, float, float]], least: int = 3,
                       default: float = 2.0, bounds: tuple[float, float] = (1.0, 10.0),
                       floor: float = 0.0) -> float:
    """How much wider predictions must be: the root mean square of ``(actual - mean) / std``
    over ``records`` of (predicted mean, predicted std, actual final value), clipped to
    ``bounds``; ``default`` with fewer than ``least`` usable records. A std below ``floor``
    counts as ``floor`` (:func:`resolution`): a curve that never moved is fitted with a std
    near 0, and its miss of one validation sample was a z-score in the billions.

    The mean square, not a robust spread: with the floor, the large z-scores left are real
    misses (curves that fell or flattened where the fit rose), and they are what keeps good
    trials running. On the recorded digits curves the median of |z| over 0.6745, or the RMS
    with the largest 10% or 25% dropped, stopped 2.0-3.0 of the best 9 at p < 0.02 where
    the RMS stopped 1.2 (benchmarks.md, the curve section)."""
    z = [(a - m) / max(s, floor) for m, s, a in records if max(s, floor) > 0 and all(map(math.isfinite, (m, s, a)))]
    if len(z) < least:
        return default
    return float(np.clip(math.sqrt(sum(v * v for v in z) / len(z)), *bounds))
