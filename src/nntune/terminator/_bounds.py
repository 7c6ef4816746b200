"""The arithmetic under the terminator's improvement evaluators, as pure functions.

Every function here works in a *maximized, standardized* frame: the study's values are
turned so that higher is better and scaled to zero mean and unit spread before a Gaussian
process is fitted, and the caller scales a result back to the study's units.

- :func:`confidence_beta`: the width of the GP's confidence band for ``n`` trials in ``d``
  dimensions (Srinivas et al. 2010, scaled down by 5 as Makarova et al. 2022 do).
- :func:`top_mask`: which trials the regret bound is fitted on (the better share).
- :func:`regret_bound`: how far the best point of the space may still lie above the best
  trial seen: the largest upper confidence bound over the space minus the largest lower
  bound over the trials (Makarova et al. 2022, "Automatic termination for hyperparameter
  optimization").
- :func:`emmr`: the expected minimum model regret's gap between the last two models
  (Ishibashi et al. 2023, Algorithm 1), from posterior moments the caller computes.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def confidence_beta(n_params: int, n_trials: int, delta: float = 0.1) -> float:
    """``beta`` of the band ``mean +- sqrt(beta * var)`` that holds with probability
    ``1 - delta``: ``2 log(d n^2 pi^2 / (6 delta)) / 5``."""
    if n_params < 1 or n_trials < 1 or not 0 < delta < 1:
        raise ValueError(f"confidence_beta needs n_params, n_trials >= 1 and 0 < delta < 1, "
                         f"got {n_params}, {n_trials}, {delta}")
    return 2.0 * math.log(n_params * n_trials**2 * math.pi**2 / (6.0 * delta)) / 5.0


def top_mask(values: np.ndarray, ratio: float, min_n: int) -> np.ndarray:
    """The trials among the best ``ratio`` of ``values`` (higher is better), at least
    ``min_n`` of them and at most all; ties with the last one kept are kept too."""
    n = len(values)
    keep = int(np.clip(int(n * ratio), min(min_n, n), n))
    if keep == 0:
        return np.zeros(n, dtype=bool)
    cut = np.partition(values, n - keep)[n - keep]
    return np.asarray(values >= cut)


def standardize(values: np.ndarray) -> tuple[np.ndarray, float]:
    """``values`` at zero mean and unit spread, and the spread to scale results back by
    (a floor of 1e-10 keeps equal values finite)."""
    spread = max(1e-10, float(np.std(values)))
    return (values - np.mean(values)) / spread, spread


def regret_bound(trial_mean: np.ndarray, trial_var: np.ndarray, pool_mean: np.ndarray,
                 pool_var: np.ndarray, beta: float) -> float:
    """Max UCB over the trials and a pool of points of the space, minus max LCB over the
    trials (standardized units; never below 0 up to rounding)."""
    width = math.sqrt(beta)
    ucb = max(float(np.max(trial_mean + width * np.sqrt(trial_var))),
              float(np.max(pool_mean + width * np.sqrt(pool_var))) if len(pool_mean) else -math.inf)
    lcb = float(np.max(trial_mean - width * np.sqrt(trial_var)))
    return ucb - lcb


def emmr(*, mu_prev_best: float, mu_best: float, var_best: float, var_prev_best_now: float,
         cov_best: float, mu_last: float, var_last: float, y_last: float,
         kappa_prev: float, noise_var: float) -> float:
    """Ishibashi et al.'s bound on how much the expected minimum simple regret moved with
    the last observation.

    ``mu_prev_best``: the previous model's mean at its own best point; ``mu_best``,
    ``var_best``: the current model at the current best point; ``var_prev_best_now``: the
    current model's variance at the previous best point, ``cov_best`` its covariance with
    the current best; ``mu_last``, ``var_last``: the current model at the last
    trial's point (the paper reads both models under one prior); ``y_last``: the last
    trial's value; ``kappa_prev``: the previous model's regret bound; ``noise_var``: the
    observation noise's variance."""
    delta_mu = mu_prev_best - mu_best
    v = math.sqrt(max(1e-10, var_best - 2.0 * cov_best + var_prev_best_now))
    g = (mu_best - mu_prev_best) / v
    # The KL divergence between the two posteriors, bounded through the last observation.
    lam = 1.0 / noise_var
    kl = 0.5 * (math.log1p(lam * var_last)
                - var_last / (var_last + noise_var)
                + var_last * (y_last - mu_last) ** 2 / (var_last + noise_var) ** 2)
    value = (delta_mu + v * float(stats.norm.pdf(g)) + v * g * float(stats.norm.cdf(g))
             + kappa_prev * math.sqrt(0.5 * max(0.0, kl)))
    return min(value, 0.5 * np.finfo(float).max)
