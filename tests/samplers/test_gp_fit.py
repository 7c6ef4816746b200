"""The GP's hand-written kernel fit against scikit-learn's GaussianProcessRegressor, whose
model it writes out: the same likelihood and gradient, the same fitted kernel."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nntune.samplers._gp_fit import AMPLITUDE_BOUNDS, JITTER, LENGTH_BOUNDS, NOISE_MAX, fit_kernel, log_marginal


def sklearn_gp(p: int, fixed_noise: float | None, **kw):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    noise = WhiteKernel(fixed_noise, "fixed") if fixed_noise else WhiteKernel(1e-3, (1e-6, NOISE_MAX))
    kernel = ConstantKernel(1.0, AMPLITUDE_BOUNDS) * Matern(np.full(p, 0.5), LENGTH_BOUNDS, nu=2.5) + noise
    return GaussianProcessRegressor(kernel, alpha=JITTER, **kw)


@pytest.mark.parametrize("p, fixed_noise", [(1, None), (4, None), (3, 1e-6)])
def test_the_likelihood_and_its_gradient_are_scikit_learns(p, fixed_noise) -> None:
    rng = np.random.default_rng(p)
    x, y = rng.random((15, p)), rng.normal(size=15)
    gp = sklearn_gp(p, fixed_noise, optimizer=None).fit(x, y)
    for _ in range(4):
        theta = rng.uniform(gp.kernel_.bounds[:, 0], gp.kernel_.bounds[:, 1])
        want, want_grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
        value, grad = log_marginal(theta, x, y, fixed_noise)
        assert value == pytest.approx(want, rel=1e-9)
        assert grad == pytest.approx(want_grad, rel=1e-6, abs=1e-9)


def test_the_fitted_kernel_and_posterior_are_scikit_learns_maximum_likelihood() -> None:
    rng = np.random.default_rng(7)
    x = rng.random((25, 2))
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2 + 0.05 * rng.normal(size=25)
    y = (y - y.mean()) / y.std()
    with warnings.catch_warnings():  # (the test's own: scikit-learn's bounds warning, if any)
        warnings.simplefilter("ignore")
        gp = sklearn_gp(2, None, n_restarts_optimizer=2, random_state=11).fit(x, y)
    fitted = fit_kernel(x, y, np.log([1.0, 0.5, 0.5, 1e-3]), lambda th: (0.0, np.zeros_like(th)),
                        fixed_noise=None, n_restarts=2, seed=11, min_noise=1e-6)
    want = gp.kernel_.get_params()
    assert fitted.amplitude == pytest.approx(want["k1__k1__constant_value"], rel=1e-3)
    assert fitted.length == pytest.approx(want["k1__k2__length_scale"], rel=1e-3)
    assert fitted.alpha == pytest.approx(gp.alpha_, rel=1e-3, abs=1e-6)


def test_a_kernel_matrix_that_is_not_positive_definite_scores_minus_infinity() -> None:
    x = np.zeros((3, 1))  # three equal inputs, no noise, no jitter left to save the factor
    value, grad = log_marginal(np.log([1.0, 0.5]), x, np.array([0.0, 1.0, 2.0]), fixed_noise=-JITTER)
    assert value == -np.inf and not grad.any()
