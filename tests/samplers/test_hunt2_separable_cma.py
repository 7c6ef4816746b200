"""``CmaEsSampler(use_separable_cma=True)``, Optuna's sep-CMA-ES option, is taken: the
covariance stays diagonal, updated as the ``cmaes`` package (which Optuna runs) updates it."""

from __future__ import annotations

import numpy as np
import pytest

import nntune as optuna
from nntune.samplers._cmaes import State, Strategy, update


def _sphere(trial: optuna.Trial) -> float:
    return sum((trial.suggest_float(n, -2.0, 2.0) - 0.5) ** 2 for n in "abcd")


def test_separable_cma_searches_with_a_diagonal_covariance() -> None:
    sampler = optuna.samplers.CmaEsSampler(seed=0, use_separable_cma=True, popsize=6)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_sphere, n_trials=90)
    assert study.best_value < 0.1
    state = sampler._replayed._kept[2][-1]  # the state after the last replayed generation
    assert np.count_nonzero(state.cov - np.diag(np.diag(state.cov))) == 0
    full = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0, popsize=6))
    full.optimize(_sphere, n_trials=12)
    assert [t.params for t in study.trials[6:12]] != [t.params for t in full.trials[6:12]]


def test_each_generation_matches_the_cmaes_packages_sepcma() -> None:
    cmaes = pytest.importorskip("cmaes")
    dim, lam = 4, 8
    reference = cmaes.SepCMA(mean=np.full(dim, 0.5), sigma=0.2, population_size=lam, seed=0)
    strategy = Strategy.of(dim, lam, separable=True)
    state = State.start(np.full(dim, 0.5), 0.2)
    rng = np.random.default_rng(1)
    for _ in range(5):
        xs = state.mean + state.sigma * rng.standard_normal((lam, dim)) * np.sqrt(np.diag(state.cov))
        losses = ((xs - 0.3) ** 2).sum(axis=1)
        reference.tell(list(zip(xs, losses)))
        state = update(state, xs[np.argsort(losses)], strategy)
        assert np.allclose(state.mean, reference._mean) and np.isclose(state.sigma, reference._sigma)
        assert np.allclose(np.diag(state.cov), reference._C)
