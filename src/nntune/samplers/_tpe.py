"""Tree-structured Parzen estimator (TPE): a model of where good trials are versus bad ones.

The ranked trials (see ``_define_by_run``: complete by value, then pruned by how far they
got, then diverged) are split into the best ``gamma(n)`` ("good") and the rest ("bad").
Each group becomes a Parzen estimator in the unit cube of the space, where every
parameter is already on its own scale (log, 1 - beta): a mixture with one product kernel
per trial plus a uniform prior component. Numeric parameters get Gaussian kernels
truncated to [0, 1] (integers and stepped floats take the kernel's mass over their slice
of the interval), Choices get a kernel that keeps the trial's value with probability
1 - lambda and spreads lambda evenly over the other values. Candidates are drawn from the
good density l(x) and the one with the largest l(x) / g(x) is suggested.

``multivariate=True`` uses joint kernels, so parameters that work together (a learning
rate and a batch size) are modelled together. A parameter that is inactive in a trial
(a conditional one) contributes the uniform prior factor to that trial's kernel, and a
candidate is scored only on the parameters it activates, which is the kernel integrated
over the others. ``multivariate=False`` fits each parameter alone on the trials where it is
active.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from nntune.samplers._base import independent_draw, name_salt, resolve_seed, trial_rng
from nntune.samplers._constraints import ConstraintsFunc
from nntune.samplers._define_by_run import RankCache, RowCache, decode, history_for, ranked, single, snap
from nntune.samplers._startup import check_startup, startup_unit
from nntune.space import Choice, Distribution, Float, Int, Space
from nntune.trial import FrozenTrial, TrialState

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
CONTINUOUS, DISCRETE, CATEGORICAL = 0, 1, 2


def default_gamma(n: int) -> int:
    """How many of ``n`` ranked trials form the good group: a tenth, between 1 and 25."""
    return max(1, min(25, math.ceil(0.1 * n)))


def split(n: int, gamma: Callable[[int], int] | float) -> int:
    """Size of the good group among ``n`` ranked trials (at least 1, at most n - 1 when n > 1)."""
    n_good = gamma(n) if callable(gamma) else math.ceil(float(gamma) * n)
    return int(min(max(1, n_good), max(1, n - 1)))


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
    numeric kernel inside [0, 1] ``log_z`` (n, d), and the prior's share of the mixture."""

    mu: np.ndarray
    sigma: np.ndarray
    move: np.ndarray
    log_z: np.ndarray
    prior_weight: float

    @property
    def log_weights(self) -> tuple[np.ndarray, float]:
        total = len(self.mu) + self.prior_weight
        return np.full(len(self.mu), -math.log(total)), math.log(self.prior_weight / total)


# Bandwidth rule constants (see ``bandwidths``).
SCOTT = 1.06
PSEUDO_COUNT = 0.5
UNIFORM_VAR = 1.0 / 12.0
MIN_SIGMA = 0.01
# One-parameter fits keep each kernel at least 1 / (m + 1) wide (m trials on the axis).
UNIVARIATE_MIN_SHARE = 1.0
CHOICE_MOVE = 0.6
# A kernel on an integer (or stepped) axis is at least this many steps wide: a narrower one
# snaps every draw back onto its own value and never tries the neighbours.
DISCRETE_MIN_STEPS = 2.0


def bandwidths(mu: np.ndarray, layout: Layout, min_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Numeric bandwidths and Choice move probabilities for kernels centred at ``mu``.

    A Scott-style rule, 1.06 * spread * n^(-1/(d+4)), where the spread on each axis is the
    centres' variance pooled with that of a uniform draw (1/12) counted as half an
    observation: one or two close trials still get wide kernels, a cluster of several good
    trials makes them narrow (and the narrower, the more of them agree). A Choice kernel leaves its value with
    probability (k - 1) / k times 0.6 n^(-1/(d+4)), less as evidence accumulates.

    ``min_share`` > 0 keeps numeric kernels at least ``min_share / (m + 1)`` wide. One-axis
    fits need it: there the good trials often agree on an axis only because they descend
    from one another, and kernels that narrow on that agreement lock the axis in place.

    In joint fits (``min_share`` 0) a kernel on an integer or stepped axis is at least
    ``DISCRETE_MIN_STEPS`` steps wide: narrower, every draw snaps back onto the centre's value, so
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
            floor = DISCRETE_MIN_STEPS / n_values(layout.dists[j]) if joint and layout.kinds[j] == DISCRETE else 0.0
            sigma[j] = min(1.0, max(MIN_SIGMA, floor, min_share / (m + 1), SCOTT * spread * shrink))
    return sigma, move


def n_values(dist: Distribution) -> int:
    """How many values an integer or stepped float axis holds."""
    step = getattr(dist, "step", None) or 1
    return int(round((float(dist.high) - float(dist.low)) / float(step))) + 1  # type: ignore[attr-defined]


def fit_parzen(mu: np.ndarray, layout: Layout, prior_weight: float = 1.0, min_share: float = 0.0) -> Parzen:
    """The estimator with one kernel per row of ``mu`` plus a uniform prior component."""
    sigma, move = bandwidths(mu, layout, min_share)
    with np.errstate(invalid="ignore"):
        log_z = _log_mass((0.0 - mu) / sigma, (1.0 - mu) / sigma)
    return Parzen(mu, sigma, move, np.where(np.isnan(mu), 0.0, log_z), prior_weight)


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
        if isinstance(dist, Int) and not dist.log:
            k = np.floor(u * dist.n_values)
            lo[:, j], hi[:, j] = k / dist.n_values, (k + 1) / dist.n_values
        elif isinstance(dist, Int):
            a, b = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            v = np.round(np.exp(a + u * (b - a)))
            lo[:, j], hi[:, j] = (np.log(v - 0.5) - a) / (b - a), (np.log(v + 0.5) - a) / (b - a)
        else:
            assert isinstance(dist, Float) and dist.step is not None
            width = dist.high - dist.low
            if width == 0:
                lo[:, j], hi[:, j] = 0.0, 1.0
                continue
            half = 0.5 * dist.step / width
            lo[:, j], hi[:, j] = np.maximum(0.0, u - half), np.minimum(1.0, u + half)
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
    weights = np.append(np.ones(n), parzen.prior_weight)
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


def tpe_choose(space: Space, good: np.ndarray, bad: np.ndarray, rng: np.random.Generator,
               n_candidates: int, prior_weight: float = 1.0, min_share: float = 0.0) -> np.ndarray:
    """The snapped candidate (from l = Parzen(good)) with the largest l(x) / g(x)."""
    layout = Layout.of(space)
    l_est = fit_parzen(good, layout, prior_weight, min_share)
    g_est = fit_parzen(bad, layout, prior_weight, min_share)
    cand = snap(space, sample_parzen(l_est, layout, rng, n_candidates))
    score = log_density(l_est, layout, cand) - log_density(g_est, layout, cand)
    return cand[int(np.argmax(score))]


def with_liars(history: Sequence[FrozenTrial], direction: str) -> list[FrozenTrial]:
    """The history with every running trial that has drawn parameters told as complete at
    the worst value seen (the constant liar): parallel workers then steer away from points
    already being tried. Unchanged until some trial is complete."""
    seen = [t.value for t in history if t.state == TrialState.COMPLETE and t.value is not None
            and math.isfinite(t.value)]
    if not seen:
        return list(history)
    worst = max(seen) if direction == "minimize" else min(seen)
    return [dataclasses.replace(t, state=TrialState.COMPLETE, value=worst)
            if t.state == TrialState.RUNNING and t.params else t for t in history]


class TPESampler:
    """``TPESampler(seed=0)``: start-up points for the first ``n_startup_trials`` ranked
    trials, then the candidate among ``n_ei_candidates`` draws from l(x) with the best
    l(x) / g(x). ``startup`` ("random" or "sobol") and ``centre_first`` choose the start-up
    points (:mod:`nntune.samplers._startup`)."""

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, n_ei_candidates: int = 24,
                 gamma: Callable[[int], int] | float = default_gamma, multivariate: bool = True,
                 consider_pruned: bool = True, prior_weight: float = 1.0, constant_liar: bool = False,
                 constraints_func: ConstraintsFunc | None = None, startup: str = "random",
                 centre_first: bool = False, group: bool = False, warn_independent_sampling: bool = True) -> None:
        # Optuna's group=True asks multivariate TPE to model each set of parameters that occur
        # together on the trials where they do: nntune's multivariate kernels always do (an
        # inactive parameter is integrated out), so the switch only keeps Optuna's check.
        # nntune never samples a joint-space parameter alone, so it has no warning to switch off.
        if group and not multivariate:
            from nntune.exceptions import ConfigError

            raise ConfigError("group", "needs multivariate=True, as in Optuna")
        self.seed = resolve_seed(seed)
        self.startup, self.centre_first = check_startup(startup), bool(centre_first)
        self.constant_liar = constant_liar
        self.constraints_func = constraints_func  # the study stores them and ranks infeasible trials last
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma
        self.multivariate = multivariate
        self.consider_pruned = consider_pruned
        self.prior_weight = prior_weight
        self._rows = RowCache()  # encoding 1,000 trials at every ask would dominate its cost
        self._ranks = RankCache()  # and so would sorting them

    def _split(self, space: Space, history: Sequence[FrozenTrial], direction: str,
               slot: str | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        if slot is None:  # the joint space sees the whole history: rank it incrementally
            trials = self._ranks.ranked(history, direction, consider_pruned=self.consider_pruned)
        else:
            trials = ranked(history, direction, consider_pruned=self.consider_pruned)
        if len(trials) < max(1, self.n_startup_trials):
            return None
        points = self._rows.encode(space, trials, slot)
        n_good = split(len(trials), self.gamma)
        return points[:n_good], points[n_good:]

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not len(space):
            return {}
        if self.constant_liar:
            history = with_liars(history, direction)
        groups = self._split(space, history, direction)
        if groups is None:
            u = startup_unit(len(space), number, self.seed, startup=self.startup, centre_first=self.centre_first)
            if u is not None:
                return space.from_unit(u)
            out: dict[str, Any] = {}
            for name, dist in space.params.items():
                if space.is_active(name, out):
                    out[name] = independent_draw(self.seed, number, name, dist)
            return out
        good, bad = groups
        rng = trial_rng(self.seed, number, 1)
        if self.multivariate:
            return decode(space, tpe_choose(space, good, bad, rng, self.n_ei_candidates, self.prior_weight))
        params: dict[str, Any] = {}
        for j, (name, dist) in enumerate(space.params.items()):
            if space.is_active(name, params):
                g, b = good[:, [j]], bad[:, [j]]
                row = tpe_choose(single(name, dist), g[~np.isnan(g[:, 0])], b[~np.isnan(b[:, 0])],
                                 rng, self.n_ei_candidates, self.prior_weight, UNIVARIATE_MIN_SHARE)
                params[name] = dist.from_unit(float(row[0]))
        return params

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        space = single(name, dist)
        if self.constant_liar:
            history = with_liars(history, direction)
        groups = self._split(space, history_for(name, dist, history), direction, slot=name)
        if groups is None:
            u = startup_unit(1, number, self.seed, name_salt(name), startup=self.startup,
                             centre_first=self.centre_first)
            return independent_draw(self.seed, number, name, dist) if u is None else dist.from_unit(float(u[0]))
        rng = trial_rng(self.seed, number, 2, name_salt(name))
        row = tpe_choose(space, groups[0], groups[1], rng, self.n_ei_candidates, self.prior_weight,
                         UNIVARIATE_MIN_SHARE)
        return dist.from_unit(float(row[0]))

    def __repr__(self) -> str:
        return (f"TPESampler(seed={self.seed}, n_startup_trials={self.n_startup_trials}, "
                f"n_ei_candidates={self.n_ei_candidates}, multivariate={self.multivariate}"
                + (f", startup={self.startup!r}" if self.startup != "random" else "")
                + (", centre_first=True" if self.centre_first else "") + ")")
