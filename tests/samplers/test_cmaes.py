"""CMA-ES: the tutorial's constants, its update on a known function, the replay of a history
into the same state, and the sampler in a study."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import CmaEsSampler, RandomSampler, make_sampler
from nntune.samplers._cmaes import State, Strategy, replay, sample, update


def test_the_constants_are_the_tutorials():
    s = Strategy.of(2)
    assert s.popsize == 6 and len(s.weights) == 6
    assert s.weights[:3].sum() == pytest.approx(1.0) and np.all(s.weights[3:] <= 0)
    assert s.mu_eff == pytest.approx(2.0286, abs=1e-4)  # (sum of ln(3.5/i))^2 / sum of squares, i = 1..3
    assert s.c_sigma == pytest.approx((s.mu_eff + 2) / (2 + s.mu_eff + 5))
    assert s.chi_n == pytest.approx(math.sqrt(2) * (1 - 1 / 8 + 1 / 84))
    assert Strategy.of(10).popsize == 4 + int(3 * math.log(10))


def ellipsoid(x: np.ndarray) -> float:
    """An ill-conditioned quadratic, rotated, with its minimum at 0.3 in every coordinate."""
    rotation = np.array([[math.cos(0.6), -math.sin(0.6)], [math.sin(0.6), math.cos(0.6)]])
    z = rotation @ (x - 0.3)
    return float(z[0] ** 2 + 100 * z[1] ** 2)


def test_the_update_learns_a_rotated_ill_conditioned_quadratic():
    s = Strategy.of(2)
    state = State.start(np.array([0.8, 0.8]), 0.2)
    rng = np.random.default_rng(0)
    for _ in range(80):
        points = np.array([sample(state, rng) for _ in range(s.popsize)])
        state = update(state, points[np.argsort([ellipsoid(p) for p in points])], s)
    assert ellipsoid(state.mean) < 1e-8 and state.sigma < 1e-3
    # The covariance learned the valley: its long axis lies along the flat direction.
    vals, vecs = np.linalg.eigh(state.cov)
    flat = np.array([math.cos(0.6), -math.sin(0.6)])  # rotation^T e_0
    assert vals[-1] / vals[0] > 20 and abs(vecs[:, -1] @ flat) > 0.95


def test_replay_is_the_loop_over_full_generations():
    s = Strategy.of(3, popsize=5)
    rng = np.random.default_rng(1)
    points = rng.random((12, 3))
    losses = rng.random(12)
    by_hand = State.start(np.full(3, 0.5), 0.2)
    for block in (slice(0, 5), slice(5, 10)):  # the last two points are no full generation yet
        order = np.argsort(losses[block])
        by_hand = update(by_hand, points[block][order], s)
    replayed = replay(points, losses, np.full(3, 0.5), 0.2, s)
    assert replayed.generation == 2 and np.allclose(replayed.mean, by_hand.mean)
    assert np.allclose(replayed.cov, by_hand.cov) and replayed.sigma == pytest.approx(by_hand.sigma)


def sphere(trial):
    x = np.array([trial.suggest_float(f"x{i}", -5, 5) for i in range(4)])
    return float(((x - 1.3) ** 2).sum())


def test_in_a_study_it_beats_random_search_and_repeats_itself():
    runs = {}
    for name, sampler in (("cma", CmaEsSampler(seed=0)), ("cma again", CmaEsSampler(seed=0)),
                          ("random", RandomSampler(seed=0))):
        study = nntune.create_study(sampler=sampler, pruner=nntune.pruners.NopPruner())
        study.optimize(sphere, n_trials=200)
        runs[name] = study
    assert runs["cma"].best_value < 0.05 and runs["cma"].best_value < runs["random"].best_value / 20
    assert [t.params for t in runs["cma"].trials] == [t.params for t in runs["cma again"].trials]


def test_choices_conditions_and_integers_are_drawn_their_own_way():
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 256, log=True)
        optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        momentum = trial.suggest_float("momentum", 0.5, 0.99) if optimizer == "sgd" else 0.0
        return (math.log10(lr) + 3) ** 2 + (math.log2(units) - 6) ** 2 + momentum

    study = nntune.create_study(sampler=CmaEsSampler(seed=3, x0={"lr": 1e-2}, sigma0=0.3),
                                pruner=nntune.pruners.NopPruner())
    study.optimize(objective, n_trials=120)
    assert all(isinstance(t.params["units"], int) and 1e-5 <= t.params["lr"] <= 1e-1 for t in study.trials)
    assert {t.params["optimizer"] for t in study.trials} == {"sgd", "adam"}
    assert study.best_value < 0.3  # lr near 1e-3 and 64 units, on their log scales


def test_options_it_does_not_offer_are_refused_and_a_config_names_it():
    for options, field in (({"with_margin": True}, "with_margin"), ({"lr_adapt": True}, "lr_adapt"), ({"source_trials": [1]}, "source_trials"),
                           ({"restart_strategy": "nope"}, "restart_strategy"), ({"sigma0": 2.0}, "sigma0"),
                           ({"popsize": 1}, "popsize")):
        with pytest.raises(ConfigError, match=f"^{field}: "):
            CmaEsSampler(**options)
    sampler = make_sampler("cmaes", seed=4, popsize=8, consider_pruned_trials=True)
    assert isinstance(sampler, CmaEsSampler) and sampler.popsize == 8 and sampler.consider_pruned_trials


def test_an_x0_out_of_range_is_refused_at_the_first_ask_over_a_declared_space():
    # It was checked only once the start-up trials had trained (trial 5 here).
    space = nntune.Space({"x": nntune.Float(0, 1)})
    study = nntune.create_study(sampler=CmaEsSampler(seed=0, x0={"x": 5}, n_startup_trials=5), space=space)
    with pytest.raises(ConfigError, match=r"^x0: x: must be a number in \[0, 1\], got 5$"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
    assert [t.state.name for t in study.trials if t.state.name == "COMPLETE"] == []
