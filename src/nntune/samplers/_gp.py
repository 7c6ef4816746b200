"""Gaussian-process Bayesian optimization: a smooth statistical model of the results so far,
and the next trial where the expected improvement over the best result is largest.

Inputs are the unit cube of each parameter's own scale (so a log-scale learning rate is
modelled in decades); a Choice is one-hot encoded; a parameter inactive in a trial sits at
-0.5, outside the range any active value takes. Targets are losses (values negated when
maximizing), made closer to Gaussian by a Yeo-Johnson power transform (a heavy-tailed
objective such as a diverging training loss would otherwise dominate the fit) and
standardized. The model is a GP with the kernel C * Matern(nu=2.5, one length scale per
input) + White (observation noise), scikit-learn's model written out in ``_gp_fit.py``, its
hyperparameters at the mode of the marginal likelihood times a weak prior
(:class:`HyperPrior`), which keeps a fit on a few dozen trials from extreme length scales.

The expected improvement is maximized in log form (accurate where it is tiny) with its
exact gradient: the best of ``n_candidates`` random points and of points scattered
around the best trials, and the best trial itself, start L-BFGS-B runs over the numeric
parameters, Choices held at the start's values; integers and stepped floats are rounded
afterwards and the rounded points scored again. Diverged trials enter the fit at the worst observed loss, so the model learns to
avoid where training blew up; pruned and failed trials are left out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import special
from threadpoolctl import ThreadpoolController

from nntune.samplers._base import independent_draw, resolve_seed, trial_rng
from nntune.samplers._constraints import ConstraintsFunc
from nntune.samplers._checks import check_callable, check_count, check_flag
from nntune.samplers._define_by_run import decode, encode, signed, snap
from nntune.samplers._gp_fit import JITTER, fit_kernel
from nntune.samplers._independent import checked_independent, draw_independent, drawn_rest
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Choice, Distribution, Space
from nntune.trial import FrozenTrial, TrialState

INACTIVE_AT = -0.5
# Candidates scattered around the best trials: how many trials, points each, spread (unit).
NEAR_TOP, NEAR_EACH, NEAR_SD = 5, 8, 0.05
START_AT_BEST = True  # also start one L-BFGS-B run at the best trial (refines the incumbent)
_SQRT5 = math.sqrt(5.0)
MIN_NOISE = 1e-6  # the observation noise's floor, as a share of the standardized targets' variance


@functools.lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    """BLAS thread control: the matrices here are small (one row per trial), where BLAS
    threads cost far more than they save, above all on a machine busy with training."""
    return ThreadpoolController()


@dataclass(frozen=True)
class Encoding:
    """Where each parameter lands in the GP's input: numeric ones in one column each,
    Choices in a block of one-hot columns."""

    columns: tuple[tuple[int, ...], ...]
    numeric: tuple[bool, ...]
    width: int

    @classmethod
    def of(cls, space: Space) -> Encoding:
        cols, numeric, at = [], [], 0
        for dist in space.params.values():
            k = len(dist.values) if isinstance(dist, Choice) else 1
            cols.append(tuple(range(at, at + k)))
            numeric.append(not isinstance(dist, Choice))
            at += k
        return cls(tuple(cols), tuple(numeric), at)

    def features(self, units: np.ndarray) -> np.ndarray:
        """GP inputs for snapped unit points (NaN = inactive)."""
        out = np.zeros((len(units), self.width))
        for j, cols in enumerate(self.columns):
            u = units[:, j]
            if self.numeric[j]:
                out[:, cols[0]] = np.where(np.isnan(u), INACTIVE_AT, u)
            else:
                k = len(cols)
                idx = np.minimum(k - 1, np.floor(np.nan_to_num(u) * k)).astype(int)
                rows = np.flatnonzero(~np.isnan(u))
                out[rows, np.asarray(cols)[idx[rows]]] = 1.0
        return out


# Losses whose spread is at most this share of their size count as equal.
_FLAT = 1e-12


def warp(losses: np.ndarray) -> np.ndarray:
    """Standardized Yeo-Johnson transform of ``losses`` (order preserved), with the power
    fitted by maximum likelihood but at most 1, so only a heavy bad tail is compressed."""
    y = np.asarray(losses, dtype=float)
    scale = y.std()
    # Equal losses have a std of float rounding, not 0 ([0.1] * 3: 1.4e-17): dividing by it
    # gives zeros, and the power transform's 0 / 0 then NaN targets for the model.
    flat = not scale > _FLAT * max(1.0, float(np.abs(y).max(initial=0.0)))
    if len(y) < 3 or flat or not np.isfinite(scale):
        return (y - y.mean()) / (1.0 if flat else scale)
    z = (y - y.mean()) / scale
    from scipy import stats

    # Floating-point warnings only: warnings.catch_warnings here, once a trial, made Python
    # forget the warnings it had shown. z is standardized, so scipy's overflow guard of the
    # power search (its one warning) does not fire.
    with np.errstate(all="ignore"):
        # Only ever compress the bad (high) tail: lambda > 1 would squeeze the good end,
        # where the model needs its resolution most.
        t = stats.yeojohnson(z, min(1.0, float(stats.yeojohnson_normmax(z))))
    if not np.all(np.isfinite(t)) or t.std() == 0:
        t = z
    return (t - t.mean()) / t.std()


@dataclass(frozen=True)
class Posterior:
    """The fitted GP's posterior over the latent function (noise excluded), with gradients."""

    x: np.ndarray
    alpha: np.ndarray
    chol: np.ndarray
    amplitude: float
    length: np.ndarray
    noise: float = 0.0  # the observation noise the fit found (``believing`` conditions with it)

    def _cross(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        diff = (q[:, None, :] - self.x[None, :, :]) / self.length
        r = np.sqrt(np.sum(diff * diff, axis=2))
        e = np.exp(-_SQRT5 * r)
        k = self.amplitude * (1 + _SQRT5 * r + 5.0 / 3.0 * r * r) * e
        return k, diff, (-5.0 / 3.0) * self.amplitude * (1 + _SQRT5 * r) * e

    def predict(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k, _, _ = self._cross(q)
        v = _solve_lower(self.chol, k.T)
        return k @ self.alpha, np.maximum(self.amplitude - np.sum(v * v, axis=0), 1e-12)

    def predict_grad(self, q: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients at one point ``q`` (shape (p,))."""
        k, diff, dk_coef = self._cross(q[None, :])
        dk = dk_coef[0][:, None] * diff[0] / self.length  # (n, p): d k_i / d q
        v = _solve_lower(self.chol, k[0])
        w = _solve_lower(self.chol, v, trans=True)
        var = self.amplitude - float(v @ v)
        return float(k[0] @ self.alpha), max(var, 1e-12), dk.T @ self.alpha, -2.0 * dk.T @ w

    def covariance(self, q: np.ndarray) -> np.ndarray:
        """The posterior covariance matrix between the points ``q`` (noise excluded)."""
        k, _, _ = self._cross(q)
        prior, _, _ = replace(self, x=q)._cross(q)  # the kernel between the points themselves
        v = _solve_lower(self.chol, k.T)
        return prior - v.T @ v


def _solve_lower(chol: np.ndarray, b: np.ndarray, trans: bool = False) -> np.ndarray:
    from scipy.linalg import solve_triangular

    return solve_triangular(chol, b, lower=True, trans=1 if trans else 0, check_finite=False)


@dataclass(frozen=True)
class HyperPrior:
    """Normal priors on the log kernel hyperparameters ``theta`` = (log amplitude, log length
    scales, log noise), so that the fit is a posterior mode rather than a maximum
    likelihood: with a few dozen trials the likelihood alone often prefers a model that
    interpolates every wiggle (tiny length scales) or calls everything noise and flat
    (huge ones). Length scales centre on half the unit range, within a factor e either way
    at one standard deviation; targets are standardized, so the amplitude centres on 1; the
    noise centres on 1e-3 of the target variance, loosely (training runs are noisy, test
    functions are not)."""

    log_length_mean: float = math.log(0.5)
    log_length_sd: float = 1.0
    log_amp_mean: float = 0.0
    log_amp_sd: float = 1.5
    log_noise_mean: float = math.log(1e-3)
    log_noise_sd: float = 3.0

    def neg_log(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log density (up to a constant) of ``theta`` and its gradient."""
        mean = np.full(theta.shape, self.log_length_mean)
        sd = np.full(theta.shape, self.log_length_sd)
        mean[0], sd[0], mean[-1], sd[-1] = self.log_amp_mean, self.log_amp_sd, self.log_noise_mean, self.log_noise_sd
        z = (theta - mean) / sd
        return float(0.5 * np.sum(z * z)), z / sd


def fit_gp(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_restarts: int = 1, *,
           deterministic: bool = False) -> Posterior:
    """Fit C * Matern52(ARD) + White to standardized targets ``y`` (hyperparameters at the
    mode of :class:`HyperPrior` times the likelihood, :mod:`nntune.samplers._gp_fit`);
    return the posterior. A ``deterministic`` objective keeps the noise at its floor
    instead of fitting it."""
    p = x.shape[1]
    prior = HyperPrior()
    length0 = float(np.clip(math.exp(prior.log_length_mean), 0.02, 50.0))
    theta0 = np.log([1.0] + [length0] * p + ([] if deterministic else [1e-3]))

    def neg_log_prior(theta: np.ndarray) -> tuple[float, np.ndarray]:
        # A fixed noise is not among theta: the prior sees it at its own mean (no pull).
        value, grad = prior.neg_log(np.append(theta, prior.log_noise_mean) if deterministic else theta)
        return value, grad[:len(theta)]

    fitted = fit_kernel(x, y, theta0, neg_log_prior, fixed_noise=MIN_NOISE if deterministic else None,
                        n_restarts=n_restarts, seed=int(rng.integers(2**31 - 1)), min_noise=MIN_NOISE)
    return Posterior(x, fitted.alpha, fitted.chol, fitted.amplitude, fitted.length, fitted.noise)


def believing(post: Posterior, q: np.ndarray) -> tuple[Posterior, np.ndarray]:
    """``post`` conditioned also on the points ``q`` (features) as if each had been observed
    at the model's mean there, with the same kernel (the kriging believer), and those means.
    ``q`` are the points of trials still running: their uncertainty collapses, so the
    expected improvement no longer leads a second worker to a point a first one is trying."""
    mean, _ = post.predict(q)
    from scipy import linalg

    x = np.vstack([post.x, q])
    y = np.concatenate([post.chol @ (post.chol.T @ post.alpha), mean])  # K alpha: the fitted targets
    k = replace(post, x=x)._cross(x)[0]
    k[np.diag_indices_from(k)] += post.noise + JITTER
    chol = linalg.cholesky(k, lower=True, check_finite=False)
    return replace(post, x=x, chol=chol, alpha=linalg.cho_solve((chol, True), y, check_finite=False)), mean


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """log expected improvement below ``best`` of N(mean, var), stable far in the tail."""
    sd = np.sqrt(var)
    z = (best - mean) / sd
    return np.log(sd) + _log_h(z)


def _log_h(z: np.ndarray) -> np.ndarray:
    # h(z) = z Phi(z) + phi(z) = phi(z) (1 + z sqrt(pi/2) erfcx(-z / sqrt 2))
    z = np.maximum(z, -1e3)
    inner = 1 + z * math.sqrt(math.pi / 2) * special.erfcx(-z / math.sqrt(2))
    return -0.5 * z * z - 0.5 * math.log(2 * math.pi) + np.log(np.maximum(inner, 1e-300))


def _dlog_h(z: float) -> float:
    e = 0.5 * special.erfcx(-z / math.sqrt(2))
    return float(e / max(1 / math.sqrt(2 * math.pi) + z * e, 1e-300))


def log_ei_grad(post: Posterior, q: np.ndarray, best: float) -> tuple[float, np.ndarray]:
    """log EI at one input point and its gradient with respect to every input column."""
    mean, var, dmean, dvar = post.predict_grad(q)
    sd = math.sqrt(var)
    z = (best - mean) / sd
    dsd = dvar / (2 * sd)
    dz = (-dmean - z * dsd) / sd
    return float(math.log(sd) + _log_h(np.array(z))), dsd / sd + _dlog_h(max(z, -1e3)) * dz


def maximize_ei(space: Space, post: Posterior, best: float, starts: np.ndarray,
                maxiter: int = 60) -> np.ndarray:
    """Snapped points reached by L-BFGS-B from each start over its active numeric params."""
    from scipy import optimize

    enc = Encoding.of(space)
    out = []
    for start in starts:
        free = [j for j, num in enumerate(enc.numeric) if num and not np.isnan(start[j])]
        if not free:
            out.append(start)
            continue
        cols = [enc.columns[j][0] for j in free]
        base = enc.features(start[None, :])[0]

        def neg(z: np.ndarray) -> tuple[float, np.ndarray]:
            q = base.copy()
            q[cols] = z
            value, grad = log_ei_grad(post, q, best)
            return -value, -grad[cols]

        res = optimize.minimize(neg, start[free], jac=True, method="L-BFGS-B",
                                bounds=[(0.0, 1.0)] * len(free), options={"maxiter": maxiter})
        point = start.copy()
        point[free] = np.clip(res.x, 0.0, 1.0)
        out.append(point)
    return snap(space, np.array(out))


def observations(space: Space, history: Sequence[FrozenTrial], direction: str) -> tuple[np.ndarray, np.ndarray]:
    """Unit points and losses of complete trials, plus diverged ones at the worst loss.

    A complete trial's infinite value enters at the worst (or best) finite loss, as
    Optuna's GP clips it: left out, its region looked unexplored and the expected
    improvement sent every later trial back there."""
    done = [t for t in history if t.state == TrialState.COMPLETE and t.value is not None
            and not math.isnan(t.value)]
    finite = [signed(t.value, direction) for t in done if math.isfinite(t.value)]  # type: ignore[arg-type]
    if not finite:
        return np.empty((0, len(space))), np.empty(0)
    low, high = min(finite), max(finite)
    losses = [min(high, max(low, signed(t.value, direction))) for t in done]  # type: ignore[arg-type]
    blown = [t for t in history if t.state == TrialState.DIVERGED]
    units = encode(space, done + blown)  # stored values are already on the space's grid
    return units, np.array(losses + [high] * len(blown))


class GPSampler(OptunaMethods):
    """``GPSampler(seed=0)``: random for the first ``n_startup_trials`` complete trials, then
    the point of largest expected improvement under a Gaussian-process model.

    Made for small budgets (tens to a few hundred trials): each suggestion refits the model,
    whose cost grows with the cube of the number of trials. A define-by-run parameter
    outside the joint space (a conditional branch) is drawn at random on its own scale (or by
    ``independent_sampler``), with a warning unless ``warn_independent_sampling=False``."""

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, n_candidates: int = 1024,
                 n_starts: int = 5, n_restarts: int = 1, *, constraints_func: ConstraintsFunc | None = None,
                 deterministic_objective: bool = False, independent_sampler: Any = None,
                 warn_independent_sampling: bool = True) -> None:
        self.seed = resolve_seed(seed)
        self.independent_sampler = checked_independent(independent_sampler)
        self.warn_independent_sampling = check_flag("warn_independent_sampling", warn_independent_sampling)
        # An objective that gives the same value twice (no training noise): the model
        # interpolates its trials instead of fitting their noise.
        self.deterministic_objective = check_flag("deterministic_objective", deterministic_objective)
        self.constraints_func = check_callable("constraints_func", constraints_func)  # the study stores them and ranks infeasible trials last
        self.n_startup_trials = check_count("n_startup_trials", n_startup_trials, 0)
        self.n_candidates = check_count("n_candidates", n_candidates, 1)
        self.n_starts = check_count("n_starts", n_starts, 1)
        self.n_restarts = check_count("n_restarts", n_restarts, 0)
        # (trial number, start) -> (space, unit point) of the model's proposals to running trials
        self._proposed: dict[tuple[int, Any], tuple[Space, np.ndarray]] = {}

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not len(space):
            return {}
        units, losses = observations(space, history, direction)
        n_done = sum(1 for t in history if t.state == TrialState.COMPLETE)
        if n_done < max(1, self.n_startup_trials) or len(losses) < 2:
            # Optuna's: the start-up trials are the independent sampler's, when one is given.
            return drawn_rest(self, space, history, number, direction, {})
        with _blas().limit(limits=1, user_api="blas"):
            point, row = self._model_suggest(space, units, losses, number, self._pending(space, history, number))
        me = next((t for t in history if t.number == number), None)
        if me is not None:
            self._proposed[(number, me.datetime_start)] = (space, row)
        return point

    def _pending(self, space: Space, history: Sequence[FrozenTrial], number: int) -> np.ndarray | None:
        """The unit points of the trials other workers run now (Optuna's GP conditions on
        them too): without them two threads that ask on the same results got the same point.
        A trial this sampler proposed may not have stored its parameters yet (the next
        thread asks as soon as this one's ask is done): its proposal stands for them."""
        running = {(t.number, t.datetime_start): t for t in history if t.state == TrialState.RUNNING}
        self._proposed = {k: v for k, v in self._proposed.items() if k in running}
        rows = []
        for key, t in running.items():
            if t.number == number:
                continue
            if space.params.keys() <= t.params.keys():
                rows.append(encode(space, [t])[0])
            elif key in self._proposed and self._proposed[key][0] == space:
                rows.append(self._proposed[key][1])
        return np.array(rows) if rows else None

    def _model_suggest(self, space: Space, units: np.ndarray, losses: np.ndarray,
                       number: int, pending: np.ndarray | None = None) -> tuple[dict[str, Any], np.ndarray]:
        rng = trial_rng(self.seed, number, 3)
        enc = Encoding.of(space)
        y = warp(losses)
        post = fit_gp(enc.features(units), y, rng, self.n_restarts, deterministic=self.deterministic_objective)
        best = float(y.min())
        if pending is not None:  # a believed value below the best is the best now, as if observed
            post, believed = believing(post, enc.features(pending))
            best = min(best, float(believed.min()))
        top = units[np.argsort(y)[:NEAR_TOP]]
        near = np.repeat(np.nan_to_num(top, nan=0.5), NEAR_EACH, axis=0)
        near = near + rng.normal(0.0, NEAR_SD, near.shape)
        pool = snap(space, np.vstack([rng.random((self.n_candidates, len(space))), near]))
        scores = log_ei(*post.predict(enc.features(pool)), best)
        order = np.argsort(-scores)
        starts = pool[order[:self.n_starts]]
        if START_AT_BEST:
            starts = np.vstack([units[int(np.argmin(y))][None, :], starts])
        moved = maximize_ei(space, post, best, starts)
        final = np.vstack([moved, pool[order[:1]]])
        final_scores = log_ei(*post.predict(enc.features(final)), best)
        row = final[int(np.argmax(final_scores))]
        return decode(space, row), row

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return draw_independent(self, name, dist, history, number, direction,
                                lambda: independent_draw(self.seed, number, name, dist))

    def __repr__(self) -> str:
        return (f"GPSampler(seed={self.seed}, n_startup_trials={self.n_startup_trials}, "
                f"n_candidates={self.n_candidates})")
