"""The terminator's arithmetic, as pure functions: the band's width, the top trials, the
regret bound and EMMR's terms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nntune.samplers._gp import fit_gp
from nntune.terminator._bounds import confidence_beta, emmr, regret_bound, standardize, top_mask


def test_beta_is_the_scaled_srinivas_width_and_grows_with_trials_and_dimensions():
    assert confidence_beta(2, 10) == pytest.approx(2 * math.log(2 * 100 * math.pi**2 / 0.6) / 5)
    assert confidence_beta(2, 20) > confidence_beta(2, 10)
    assert confidence_beta(4, 10) > confidence_beta(2, 10)
    assert confidence_beta(2, 10, delta=0.01) > confidence_beta(2, 10, delta=0.1)
    with pytest.raises(ValueError, match="delta"):
        confidence_beta(2, 10, delta=1.5)


def test_top_mask_keeps_the_better_share_at_least_min_n_and_ties():
    values = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 4.0])
    assert top_mask(values, 0.5, 1).tolist() == [True, False, True, False, False, True]
    assert top_mask(values, 0.1, 2).tolist() == [True, False, True, False, False, True]  # 4.0 twice
    assert top_mask(values, 0.5, 100).all()  # never more than there are
    assert top_mask(np.array([]), 0.5, 3).tolist() == []


def test_standardize_and_a_constant():
    y, spread = standardize(np.array([1.0, 2.0, 3.0]))
    assert y.tolist() == pytest.approx([-1.2247, 0.0, 1.2247], abs=1e-4) and spread == pytest.approx(0.8165, abs=1e-4)
    y, spread = standardize(np.array([2.0, 2.0]))
    assert y.tolist() == [0.0, 0.0] and spread == 1e-10


def test_regret_bound_is_the_best_upper_bound_minus_the_best_lower_bound():
    mean, var = np.array([0.0, 1.0]), np.array([0.25, 0.01])
    beta = 4.0  # width 2
    # Over the trials alone: UCB max(1, 1.2) = 1.2, LCB max(-1, 0.8) = 0.8.
    assert regret_bound(mean, var, np.array([]), np.array([]), beta) == pytest.approx(0.4)
    # A pool point with a high upper bound widens it; a dull one does not.
    assert regret_bound(mean, var, np.array([0.5]), np.array([1.0]), beta) == pytest.approx(2.5 - 0.8)
    assert regret_bound(mean, var, np.array([0.0]), np.array([0.01]), beta) == pytest.approx(0.4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_regret_bound_of_a_fitted_gp_shrinks_as_the_space_is_sampled_densely(seed):
    rng = np.random.default_rng(seed)

    def bound(n: int) -> float:
        x = rng.random((n, 1))
        y, _ = standardize(-(x[:, 0] - 0.5) ** 2)
        post = fit_gp(x, y, rng)
        return regret_bound(*post.predict(x), *post.predict(rng.random((512, 1))), confidence_beta(1, n))

    assert bound(40) < 0.1 * bound(5)


def test_emmr_terms_match_the_papers_formula_written_out():
    args = dict(mu_prev_best=0.8, mu_best=1.0, var_best=0.04, var_prev_best_now=0.09, cov_best=0.01,
                mu_last=0.7, var_last=0.05, y_last=1.1, kappa_prev=0.6, noise_var=1e-3)
    v = math.sqrt(0.04 - 0.02 + 0.09)
    g = 0.2 / v
    kl = 0.5 * math.log(1 + 0.05 / 1e-3) - 0.5 * 0.05 / (0.05 + 1e-3) + 0.5 * 0.05 * 0.16 / (0.05 + 1e-3) ** 2
    expected = -0.2 + v * stats.norm.pdf(g) + v * g * stats.norm.cdf(g) + 0.6 * math.sqrt(0.5 * kl)
    assert emmr(**args) == pytest.approx(expected)
    # Nothing moved and nothing was learnt: only the tiny floor of v is left.
    still = dict(args, mu_prev_best=1.0, cov_best=0.0, var_best=0.0, var_prev_best_now=0.0, var_last=0.0)
    assert emmr(**still) == pytest.approx(1e-5 * stats.norm.pdf(0), abs=1e-9)
