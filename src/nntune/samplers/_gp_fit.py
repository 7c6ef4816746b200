"""The GP's kernel hyperparameters, fitted by hand: C * Matern52(ARD) + White.

The model is the one scikit-learn's ``GaussianProcessRegressor`` fits with that kernel
(the same log marginal likelihood, gradients, bounds, jitter and restarts drawn from the
same ``RandomState``), written out here for two reasons: a fit is a few dozen likelihood
evaluations, where scikit-learn's kernel objects cost several times the linear algebra
(44 ms against 10 ms a fit on 40 trials in 5 dimensions), and its input checks enter
``warnings.catch_warnings`` on every call, which made Python forget the warnings it had
shown, so a library's warning came back with every trial of a GP search.

``theta`` is (log amplitude, log length scale per input, log noise), as scikit-learn
orders a sum of a product and a white kernel; a fixed noise is left out of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

_SQRT5 = math.sqrt(5.0)
JITTER = 1e-8  # added to the diagonal, as GaussianProcessRegressor's alpha
AMPLITUDE_BOUNDS = (0.05, 20.0)
LENGTH_BOUNDS = (0.01, 100.0)
NOISE_MAX = 0.5


@dataclass(frozen=True)
class Fitted:
    """The kernel at the fitted ``theta``: its Cholesky factor on the inputs and the
    weights ``alpha`` = K^-1 y of the posterior mean."""

    amplitude: float
    length: np.ndarray
    chol: np.ndarray
    alpha: np.ndarray
    noise: float  # the observation noise on K's diagonal (JITTER aside)


def _matern(x: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matern 5/2 between the rows of ``x``, its squared scaled distances per input
    (n, n, p), and ``5/3 (1 + sqrt5 r) exp(-sqrt5 r)``, the factor of its log-length gradient."""
    diff = (x[:, None, :] - x[None, :, :]) / length
    d2 = diff * diff
    r = np.sqrt(d2.sum(-1))
    e = np.exp(-_SQRT5 * r)
    return (1.0 + _SQRT5 * r + 5.0 / 3.0 * r * r) * e, d2, 5.0 / 3.0 * (1.0 + _SQRT5 * r) * e


def _split(theta: np.ndarray, fixed_noise: float | None) -> tuple[float, np.ndarray, float]:
    if fixed_noise is None:
        return math.exp(theta[0]), np.exp(theta[1:-1]), math.exp(theta[-1])
    return math.exp(theta[0]), np.exp(theta[1:]), fixed_noise


def log_marginal(theta: np.ndarray, x: np.ndarray, y: np.ndarray,
                 fixed_noise: float | None = None) -> tuple[float, np.ndarray]:
    """The log marginal likelihood of ``y`` at ``theta`` and its gradient in ``theta``
    (-inf and zeros where the kernel matrix is not positive definite, as scikit-learn)."""
    amplitude, length, noise = _split(theta, fixed_noise)
    m, d2, dm = _matern(x, length)
    k = amplitude * m
    k[np.diag_indices_from(k)] += noise + JITTER
    try:
        chol = linalg.cholesky(k, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return -math.inf, np.zeros_like(theta)
    alpha = linalg.cho_solve((chol, True), y, check_finite=False)
    value = -0.5 * float(y @ alpha) - float(np.log(np.diag(chol)).sum()) - 0.5 * len(y) * math.log(2 * math.pi)
    inner = np.outer(alpha, alpha) - linalg.cho_solve((chol, True), np.eye(len(y)), check_finite=False)
    # d K / d theta_j, traced against inner: 0.5 * sum_ij inner_ij dK_ij
    grads = [0.5 * float(np.sum(inner * (amplitude * m)))]
    weighted = inner * (amplitude * dm)
    grads.extend(0.5 * np.einsum("ij,ijd->d", weighted, d2))
    if fixed_noise is None:
        grads.append(0.5 * noise * float(np.trace(inner)))
    return value, np.asarray(grads, dtype=float)


def fit_kernel(x: np.ndarray, y: np.ndarray, theta0: np.ndarray, neg_log_prior: Callable[[np.ndarray],
               tuple[float, np.ndarray]], *, fixed_noise: float | None, n_restarts: int, seed: int,
               min_noise: float) -> Fitted:
    """``theta`` at the mode of the marginal likelihood times the prior (``neg_log_prior``:
    its negative log density and gradient in ``theta``), from ``theta0``
    and then ``n_restarts`` starts drawn uniformly within the bounds by
    ``RandomState(seed)``; the lowest of the runs is kept."""
    p = x.shape[1]
    bounds = np.log([AMPLITUDE_BOUNDS] + [LENGTH_BOUNDS] * p + ([] if fixed_noise is not None
                                                               else [(min_noise, NOISE_MAX)]))

    def total(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = log_marginal(theta, x, y, fixed_noise)
        pv, pg = neg_log_prior(theta)
        return -value + pv, -grad + pg

    def run(start: np.ndarray) -> tuple[np.ndarray, float]:
        res = optimize.minimize(total, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
        return res.x, float(res.fun)

    runs = [run(np.asarray(theta0, dtype=float))]
    draws = np.random.RandomState(seed)
    runs += [run(draws.uniform(bounds[:, 0], bounds[:, 1])) for _ in range(n_restarts)]
    theta = min(runs, key=lambda r: r[1])[0]
    amplitude, length, noise = _split(theta, fixed_noise)
    k = amplitude * _matern(x, length)[0]
    k[np.diag_indices_from(k)] += noise + JITTER
    chol = linalg.cholesky(k, lower=True, check_finite=False)
    return Fitted(amplitude, np.atleast_1d(length), chol, linalg.cho_solve((chol, True), y, check_finite=False), noise)
