"""The Parzen estimators of TPE in the unit cube of a space, as pure functions.

Each group of trials (good or bad) becomes a mixture with one product kernel per trial plus
a uniform prior component (:func:`fit_parzen`). Numeric parameters get Gaussian kernels
truncated to [0, 1]; integers and stepped floats take the kernel's mass over their slice
of the interval (:func:`slice_edges`); choices keep the trial's value with probability
1 - lambda and spread lambda over the others. :func:`log_density` scores candidates and
:func:`sample_parzen` draws them; :mod:`nntune.samplers._tpe` puts them together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from nntune.space import Choice, Distribution, Float, Int, Space

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
CONTINUOUS, DISCRETE, CATEGORICAL = 0, 1, 2


@dataclass(frozen=True)
class Layout:
    """Per parameter of a space: its kind, its number of choices, its distribution."""

    kinds: np.ndarray
    n_choices: np.ndarray
    dists: tuple[Distribution, ...]

    @classmethod
    def of(cls, space: Space) -> Layout:
        kinds, n_choices = [], []
        for dist in space.params.values():
            if isinstance(dist, Choice):
                kinds.append(CATEGORICAL)
                n_choices.append(len(dist.values))
            else:
                discrete = isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None)
                kinds.append(DISCRETE if discrete else CONTINUOUS)
                n_choices.append(0)
        return cls(np.array(kinds, dtype=int), np.array(n_choices, dtype=int), tuple(space.params.values()))


@dataclass(frozen=True)
class Parzen:
    """A fitted estimator: kernel centres ``mu`` (n, d) in unit coordinates (NaN where a
    trial lacks the parameter), numeric bandwidths ``sigma`` (d,), the probability
    ``move`` (d,) that a Choice kernel leaves the trial's value, the log mass of each
    numeric kernel inside [0, 1] ``log_z`` (n, d), the prior's weight in the mixture and
    each kernel's (``weights`` (n,); ``None``: 1 each)."""

    mu: np.ndarray
    sigma: np.ndarray
    move: np.ndarray
    log_z: np.ndarray
    prior_weight: float
    weights: np.ndarray | None = None

    @property
    def kernel_weights(self) -> np.ndarray:
        return np.ones(len(self.mu)) if self.weights is None else self.weights

    @property
    def log_weights(self) -> tuple[np.ndarray, float]:
        """The log shares of the kernels and of the prior (``-inf`` for a prior of weight 0)."""
        w = self.kernel_weights
        total = float(w.sum()) + self.prior_weight
        with np.errstate(divide="ignore"):
            return np.log(w / total), (math.log(self.prior_weight / total) if self.prior_weight > 0 else -math.inf)


# Bandwidth rule constants (see ``bandwidths``).
SCOTT = 1.06
PSEUDO_COUNT = 0.5
UNIFORM_VAR = 1.0 / 12.0
MIN_SIGMA = 0.01
NO_CLIP_SIGMA = 1e-12
# One-parameter fits keep each kernel at least 1 / (m + 1) wide (m trials on the axis).
UNIVARIATE_MIN_SHARE = 1.0
CHOICE_MOVE = 0.6
# A kernel on an integer (or stepped) axis is at least this many steps wide: a narrower one
# snaps every draw back onto its own value and never tries the neighbours.
DISCRETE_MIN_STEPS = 2.0


def bandwidths(mu: np.ndarray, layout: Layout, min_share: float = 0.0,
               clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Numeric bandwidths and Choice move probabilities for kernels centred at ``mu``.

    A Scott-style rule, 1.06 * spread * n^(-1/(d+4)), where the spread on each axis is the
    centres' variance pooled with that of a uniform draw (1/12) counted as half an
    observation: one or two close trials still get wide kernels, a cluster of several good
    trials makes them narrow (and the narrower, the more of them agree). A Choice kernel leaves its value with
    probability (k - 1) / k times 0.6 n^(-1/(d+4)), less as evidence accumulates.

    ``min_share`` > 0 keeps numeric kernels at least ``min_share / (m + 1)`` wide. One-axis
    fits need it: there the good trials often agree on an axis only because they descend
    from one another, and kernels that narrow on that agreement lock the axis in place.
    Together with the floor of ``MIN_SIGMA`` this is Optuna's "magic clip" (a kernel at
    least 1 / min(100, m + 1) of the range wide); ``clip=False`` drops both, keeping only
    ``NO_CLIP_SIGMA`` so that no kernel is a point.

    In joint fits (``min_share`` 0) a kernel on an integer or stepped axis is at least
    ``DISCRETE_MIN_STEPS`` steps wide (a log-scaled integer's steps are measured where its
    centres sit, :func:`step_width`): narrower, every draw snaps back onto the centre's value, so
    good trials that agree on one value keep it for ever (``y`` stuck at a wrong integer
    while ``x`` is refined)."""
    n, d = mu.shape
    shrink = max(n, 1) ** (-1.0 / (d + 4))
    sigma = np.ones(d)
    move = np.zeros(d)
    for j in range(d):
        col = mu[:, j][~np.isnan(mu[:, j])]
        if layout.kinds[j] == CATEGORICAL:
            k = int(layout.n_choices[j])
            move[j] = (k - 1) / k * min(1.0, CHOICE_MOVE * shrink)
        else:
            m = col.size
            spread = math.sqrt((m * (float(col.var()) if m else 0.0) + PSEUDO_COUNT * UNIFORM_VAR)
                               / (m + PSEUDO_COUNT))
            joint = min_share == 0.0  # one-axis fits keep their own floor
            discrete = joint and layout.kinds[j] == DISCRETE
            floor = DISCRETE_MIN_STEPS * step_width(layout.dists[j], col) if discrete else 0.0
            clipped = max(MIN_SIGMA, min_share / (m + 1)) if clip else NO_CLIP_SIGMA
            sigma[j] = min(1.0, max(clipped, floor, SCOTT * spread * shrink))
    return sigma, move


def step_width(dist: Distribution, centres: np.ndarray) -> float:
    """The unit width of one value of an integer or stepped axis: 1 / n_values, or for a
    log-scaled integer (whose slices shrink as the value grows) the median width of the
    slices holding ``centres`` (the widest, that of ``low``, when there is none)."""
    if not (isinstance(dist, Int) and dist.log):
        return 1.0 / n_values(dist)
    a, b = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
    # Clipped: a centre at the very edge (0 or 1, or none: the low end) rounds to low - 0.5's
    # neighbour outside the range, whose slice has no width.
    v = np.clip(np.round(np.exp(a + (centres if centres.size else np.zeros(1)) * (b - a))), dist.low, dist.high)
    return float(np.median(np.log((v + 0.5) / (v - 0.5)))) / (b - a)


def n_values(dist: Distribution) -> int:
    """How many values an integer or stepped float axis holds."""
    step = getattr(dist, "step", None) or 1
    return int(round((float(dist.high) - float(dist.low)) / float(step))) + 1  # type: ignore[attr-defined]


def fit_parzen(mu: np.ndarray, layout: Layout, prior_weight: float = 1.0, min_share: float = 0.0,
               weights: np.ndarray | None = None, clip: bool = True) -> Parzen:
    """The estimator with one kernel per row of ``mu`` (weighted by ``weights``, 1 each by
    default) plus a uniform prior component of weight ``prior_weight`` (the prior alone,
    at weight 1, when there is no row: an empty mixture has no density)."""
    sigma, move = bandwidths(mu, layout, min_share, clip)
    with np.errstate(invalid="ignore"):
        log_z = _log_mass((0.0 - mu) / sigma, (1.0 - mu) / sigma)
    if weights is not None and (len(weights) != len(mu) or np.any(np.asarray(weights) < 0)
                                or not np.all(np.isfinite(weights)) or (len(mu) and not np.any(weights))):
        raise ValueError(f"weights must be {len(mu)} finite values >= 0, not all 0, got {weights!r}")
    prior = prior_weight if len(mu) else max(prior_weight, 1.0)
    return Parzen(mu, sigma, move, np.where(np.isnan(mu), 0.0, log_z), prior,
                  None if weights is None else np.asarray(weights, dtype=float))


def _log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails.

    The interval is mirrored into the lower half (Phi(-x) = 1 - Phi(x)), where the plain
    difference of CDFs is exact to about 1e-16 absolute: its log is used wherever the mass
    exceeds 1e-7 (relative error below 1e-9). Only the tiny masses take the slower
    log-space form, and past that the density-times-width approximation."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    flip = a > 0
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        mass = ndtr(hi) - ndtr(lo)
        out = np.log(mass)
        tiny = ~(mass > 1e-7)
        if tiny.any():
            t_lo, t_hi = lo[tiny], hi[tiny]
            la, lb = log_ndtr(t_lo), log_ndtr(t_hi)
            exact = lb + np.log1p(-np.exp(la - lb))
            # Both ends deep in one tail: mass ~ density at the midpoint times the width.
            approx = -0.5 * ((t_lo + t_hi) / 2) ** 2 - _LOG_SQRT_2PI + np.log(t_hi - t_lo)
            out[tiny] = np.where(np.isfinite(exact), exact, approx)
    return out


def slice_edges(layout: Layout, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For snapped points ``x``, the unit interval each discrete value owns (else x, x)."""
    lo, hi = x.copy(), x.copy()
    for j, dist in enumerate(layout.dists):
        if layout.kinds[j] != DISCRETE:
            continue
        u = x[:, j]
        if isinstance(dist, Int) and dist.log:
            a, b = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            v = np.round(np.exp(a + u * (b - a)))
            lo[:, j], hi[:, j] = (np.log(v - 0.5) - a) / (b - a), (np.log(v + 0.5) - a) / (b - a)
        else:  # an integer or a stepped float: equal slices, one per value (Float.to_unit)
            n = n_values(dist)
            k = np.minimum(n - 1, np.floor(u * n))
            lo[:, j], hi[:, j] = k / n, (k + 1) / n
    return lo, hi


def log_density(parzen: Parzen, layout: Layout, x: np.ndarray) -> np.ndarray:
    """log of the estimator at snapped points ``x`` (m, d), using only the parameters each
    point activates (NaN columns are integrated out). Discrete parameters use the mass of
    their slice, so the ratio l/g compares like with like.

    Written for speed: one (m, n) array accumulates the terms that depend on both point
    and kernel, per-kernel constants are summed separately, and a slice much narrower than
    the bandwidth takes density times width instead of a difference of normal CDFs."""
    m, (n, d) = len(x), parzen.mu.shape
    total = np.zeros((m, n))
    kernel_const = np.zeros(n)
    prior = np.zeros(m)
    lo, hi = slice_edges(layout, x)
    for j in range(d):
        act = ~np.isnan(x[:, j])
        if not act.any():
            continue
        mu = parzen.mu[:, j]
        has = ~np.isnan(mu)
        c = np.where(has, mu, 0.0)
        xj = np.where(act, x[:, j], 0.5)
        kind, sigma = layout.kinds[j], parzen.sigma[j]
        if kind == CATEGORICAL:
            k = int(layout.n_choices[j])
            if k == 1:
                continue
            stay, leave = math.log1p(-parzen.move[j]), math.log(parzen.move[j] / (k - 1) + 1e-300)
            same = np.floor(xj * k)[:, None] == np.floor(c * k)[None, :]
            lk = same * np.where(has, stay - leave, 0.0)[None, :]
            const = np.where(has, leave, -math.log(k))
            flat = np.full(m, -math.log(k))
        elif kind == CONTINUOUS:
            z = (xj[:, None] - c[None, :]) * (has / sigma)[None, :]
            lk = -0.5 * z * z
            const = np.where(has, -math.log(sigma) - _LOG_SQRT_2PI - parzen.log_z[:, j], 0.0)
            flat = np.zeros(m)
        else:
            lo_j, hi_j = np.where(act, lo[:, j], 0.0), np.where(act, hi[:, j], 1.0)
            width = np.maximum(hi_j - lo_j, 1e-300)
            flat = np.log(width)
            z = (0.5 * (lo_j + hi_j))[:, None] - c[None, :]
            z /= sigma
            lk = -0.5 * z * z + (flat - math.log(sigma) - _LOG_SQRT_2PI)[:, None]
            wide = np.flatnonzero(width > 0.2 * sigma)
            if wide.size:
                lk[wide] = _log_mass((lo_j[wide, None] - c[None, :]) / sigma,
                                     (hi_j[wide, None] - c[None, :]) / sigma)
            const = np.where(has, -parzen.log_z[:, j], 0.0)
            if not has.all():
                lk[:, ~has] = flat[:, None]
        if act.all():
            total += lk
            kernel_const += const
            prior += flat
        else:
            total += act[:, None] * (lk + const[None, :])
            prior += act * flat
    log_w, log_prior = parzen.log_weights
    prior += log_prior
    if n == 0:
        return prior
    total += (kernel_const + log_w)[None, :]
    top = total.max(axis=1)
    mixture = top + np.log(np.exp(total - top[:, None]).sum(axis=1))
    return np.logaddexp(mixture, prior)


def sample_parzen(parzen: Parzen, layout: Layout, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` points of the unit cube drawn from the estimator (unsnapped)."""
    n, d = parzen.mu.shape
    weights = np.append(parzen.kernel_weights, parzen.prior_weight)
    comp = rng.choice(n + 1, size=size, p=weights / weights.sum())
    out = rng.random((size, d))  # the prior, and axes a trial does not have, are uniform
    for j in range(d):
        rows = np.flatnonzero(comp < n)
        rows = rows[~np.isnan(parzen.mu[comp[rows], j])]
        if rows.size == 0:
            continue
        centre = parzen.mu[comp[rows], j]
        if layout.kinds[j] == CATEGORICAL:
            k = int(layout.n_choices[j])
            idx = np.minimum(k - 1, np.floor(centre * k))
            moved = rng.random(rows.size) < parzen.move[j]
            if k > 1:
                idx = np.where(moved, (idx + 1 + rng.integers(0, k - 1, rows.size)) % k, idx)
            out[rows, j] = (idx + 0.5) / k
        else:
            out[rows, j] = _truncated_normal(centre, parzen.sigma[j], rng)
    return out


def _truncated_normal(mu: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Draws from N(mu, sigma) truncated to [0, 1], by the inverse CDF on the far side of
    the mode from the nearer tail (so that the CDF differences stay accurate)."""
    a, b = (0.0 - mu) / sigma, (1.0 - mu) / sigma
    flip = a > 0
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    p_lo, p_hi = ndtr(lo), ndtr(hi)
    z = ndtri(p_lo + rng.random(mu.size) * (p_hi - p_lo))
    z = np.clip(np.where(np.isfinite(z), z, (lo + hi) / 2), lo, hi)
    return np.clip(mu + sigma * np.where(flip, -z, z), 0.0, 1.0)
