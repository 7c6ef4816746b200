"""GP sampler: its numerical parts against references, and Branin."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import nntune
from nntune import Choice, Float, Int, Space
from nntune.samplers import GPSampler
from nntune.samplers._gp import Encoding, HyperPrior, fit_gp, log_ei, log_ei_grad, warp


def test_encoding_one_hot_and_inactive():
    space = Space({"x": Float(0, 1), "c": Choice(("a", "b", "c")), "m": Float(0, 1)})
    enc = Encoding.of(space)
    assert enc.width == 5
    units = np.array([[0.25, (2 + 0.5) / 3, np.nan], [0.75, np.nan, 0.5]])
    assert enc.features(units).tolist() == [[0.25, 0, 0, 1, -0.5], [0.75, 0, 0, 0, 0.5]]


def test_log_ei_matches_the_closed_form_and_stays_finite_in_the_tail():
    mean = np.array([0.0, 0.5, -1.0, 3.0])
    var = np.array([1.0, 0.04, 0.25, 1.0])
    sd = np.sqrt(var)
    z = (0.0 - mean) / sd
    ei = sd * (z * stats.norm.cdf(z) + stats.norm.pdf(z))
    assert np.exp(log_ei(mean, var, 0.0)) == pytest.approx(ei, rel=1e-9)
    far = log_ei(np.array([60.0, 600.0]), np.array([1.0, 1.0]), 0.0)
    assert np.all(np.isfinite(far)) and far[1] < far[0] < -1000


def fitted(n: int = 15, p: int = 2):
    rng = np.random.default_rng(0)
    x = rng.random((n, p))
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2
    return x, (y - y.mean()) / y.std(), fit_gp(x, (y - y.mean()) / y.std(), rng)


def test_posterior_matches_scikit_learn_and_log_ei_gradient_matches_finite_differences():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern

    x, y, post = fitted()
    ref = GaussianProcessRegressor(ConstantKernel(post.amplitude, "fixed")
                                   * Matern(post.length, "fixed", nu=2.5), alpha=0.0, optimizer=None)
    # Same posterior as scikit-learn's with the fitted noise: rebuild it from the Cholesky factor.
    noise = float(np.diag(post.chol @ post.chol.T)[0] - post.amplitude)
    ref.set_params(alpha=noise).fit(x, y)
    q = np.random.default_rng(1).random((7, 2))
    mean, var = post.predict(q)
    rmean, rsd = ref.predict(q, return_std=True)
    assert mean == pytest.approx(rmean, abs=1e-6)
    assert var == pytest.approx(rsd**2, abs=1e-6)
    best = float(y.min())
    for point in q:
        value, grad = log_ei_grad(post, point, best)
        assert value == pytest.approx(float(log_ei(*post.predict(point[None, :]), best)[0]), rel=1e-9)
        h = 1e-6
        numeric = [(log_ei_grad(post, point + h * e, best)[0] - log_ei_grad(post, point - h * e, best)[0]) / (2 * h)
                   for e in np.eye(2)]
        assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_hyperprior_gradient_and_centre():
    prior = HyperPrior()
    theta = np.array([0.3, -1.0, 0.2, 0.5, -5.0])
    value, grad = prior.neg_log(theta)
    h = 1e-6
    numeric = [(prior.neg_log(theta + h * e)[0] - prior.neg_log(theta - h * e)[0]) / (2 * h) for e in np.eye(5)]
    assert grad == pytest.approx(numeric, rel=1e-6)
    centre = np.array([prior.log_amp_mean, *[prior.log_length_mean] * 3, prior.log_noise_mean])
    assert prior.neg_log(centre)[0] == 0.0


def test_warp_keeps_order_and_tames_only_a_heavy_bad_tail():
    rng = np.random.default_rng(0)
    heavy = np.exp(rng.normal(0, 2, 40))  # a few huge losses, as on Rosenbrock
    w = warp(heavy)
    assert np.array_equal(np.argsort(w), np.argsort(heavy))
    assert abs(stats.skew(w)) < abs(stats.skew(heavy)) / 3
    assert w.mean() == pytest.approx(0, abs=1e-9) and w.std() == pytest.approx(1)
    good_tail = -np.exp(rng.normal(0, 1, 40))  # a few very good values: left alone
    z = (good_tail - good_tail.mean()) / good_tail.std()
    assert warp(good_tail) == pytest.approx(z)


def test_equal_losses_give_a_model_not_nan():
    # [0.1] * 3 has a std of float rounding (1.4e-17), which once gave NaN targets.
    assert np.all(np.isfinite(warp(np.array([0.1, 0.1, 0.1]))))
    study = nntune.create_study(sampler=GPSampler(seed=0, n_startup_trials=3), pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: t.suggest_float("a", 0, 1) * 0 + 0.1, n_trials=5)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5


def branin(p: dict) -> float:
    x1, x2 = p["x1"], p["x2"]
    return ((x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)


BRANIN = Space({"x1": Float(-5, 10), "x2": Float(0, 15)})


@pytest.mark.slow
def test_finds_branins_minimum_in_40_evaluations_for_most_seeds():
    hits = 0
    for seed in range(5):
        study = nntune.create_study(sampler=GPSampler(seed=seed), space=BRANIN)
        study.optimize(lambda t: branin(t.suggest_space(BRANIN)), n_trials=40)
        hits += abs(study.best_value - 0.397887) < 0.05
    assert hits >= 4


def test_integers_and_choices_are_rounded_and_direction_is_respected():
    space = Space({"n": Int(1, 20), "c": Choice(("a", "b", "c")), "x": Float(0, 1)})

    def objective(t: nntune.Trial) -> float:
        p = t.suggest_space(space)
        return -((p["n"] - 7) ** 2) - 4 * (p["c"] != "b") - 10 * (p["x"] - 0.3) ** 2

    study = nntune.create_study(sampler=GPSampler(seed=0, n_startup_trials=6), space=space, direction="maximize")
    study.optimize(objective, n_trials=22)
    for t in study.trials:
        assert space.contains(t.params)
    best = study.best_params
    assert best["c"] == "b" and abs(best["n"] - 7) <= 1 and abs(best["x"] - 0.3) < 0.15


def test_a_deterministic_objective_is_interpolated_not_smoothed():
    rng = np.random.default_rng(1)
    x = rng.random((20, 2))
    y = np.sin(6 * x[:, 0]) + 0.3 * rng.standard_normal(20)  # wiggles a noise fit would smooth away
    y = (y - y.mean()) / y.std()
    exact = fit_gp(x, y, np.random.default_rng(0), deterministic=True).predict(x)[0]
    smooth = fit_gp(x, y, np.random.default_rng(0)).predict(x)[0]
    assert np.max(np.abs(exact - y)) < 1e-2 < np.max(np.abs(smooth - y))
    study = nntune.create_study(sampler=GPSampler(seed=0, n_startup_trials=4, deterministic_objective=True))
    study.optimize(lambda t: (t.suggest_float("a", -2, 2) - 1) ** 2 + t.suggest_float("b", -2, 2) ** 2, n_trials=12)
    assert study.best_value < 0.5
