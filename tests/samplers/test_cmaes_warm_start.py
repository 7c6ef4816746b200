"""CMA-ES warm-started from a related study's trials (``source_trials``), as Optuna's."""

from __future__ import annotations

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import CmaEsSampler, RandomSampler
from nntune.samplers._cmaes import warm_start


def test_the_start_is_the_cmaes_packages_promising_distribution() -> None:
    cmaes = pytest.importorskip("cmaes")
    rng = np.random.default_rng(0)
    points, losses = rng.uniform(size=(40, 3)), rng.normal(size=40)
    state = warm_start(points[np.argsort(losses)])
    mean, sigma, cov = cmaes.get_warm_start_mgd([(p, float(v)) for p, v in zip(points, losses)])
    assert np.allclose(state.mean, mean) and state.sigma == pytest.approx(sigma) and np.allclose(state.cov, cov)
    assert np.linalg.det(state.cov) == pytest.approx(1.0)
    # Fewer than ten points: the best one alone, widened by alpha on every axis.
    few = warm_start(points[:3][np.argsort(losses[:3])])
    assert np.allclose(few.mean, points[np.argmin(losses[:3])]) and few.sigma == pytest.approx(0.1)


def _shifted(centre: float):
    def objective(trial: nntune.Trial) -> float:
        x, y = trial.suggest_float("x", -5.0, 5.0), trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        return (x - centre) ** 2 + (np.log10(y) + 3.0) ** 2
    return objective


def test_a_warm_start_searches_near_the_related_studys_best_from_its_first_draws() -> None:
    source = nntune.create_study(sampler=RandomSampler(seed=0))
    source.optimize(_shifted(1.0), n_trials=60)
    closer = better = 0
    for seed in range(5):
        warm = nntune.create_study(sampler=CmaEsSampler(seed=seed, source_trials=source.trials, n_startup_trials=0))
        cold = nntune.create_study(sampler=CmaEsSampler(seed=seed, n_startup_trials=0))
        for study in (warm, cold):
            study.optimize(_shifted(1.2), n_trials=12)  # the related task's optimum, moved a little
        # Trial 0 is drawn at random (no trial to start from); CMA-ES draws from trial 1 on.
        distance = [float(np.median([abs(t.params["x"] - 1.2) for t in s.trials[1:9]])) for s in (warm, cold)]
        closer += distance[0] < distance[1]
        typical = [float(np.median([t.value for t in s.trials[1:9]])) for s in (warm, cold)]
        better += typical[0] < typical[1]
    assert closer >= 4 and better >= 4


def test_it_is_refused_where_optuna_refuses_it_and_when_no_trial_fits() -> None:
    source = nntune.create_study()
    source.optimize(_shifted(1.0), n_trials=3)
    for options in ({"x0": {"x": 0.0}}, {"sigma0": 0.2}, {"use_separable_cma": True}):
        with pytest.raises(ConfigError, match="^source_trials: cannot be given with"):
            CmaEsSampler(source_trials=source.trials, **options)
    with pytest.raises(ConfigError, match="^source_trials: must be finished trials"):
        CmaEsSampler(source_trials=[{"x": 1.0}])
    other = nntune.create_study(sampler=CmaEsSampler(source_trials=source.trials, n_startup_trials=0))
    with pytest.raises(ConfigError, match=r"^source_trials: none is a finished trial of this study's parameters \(z\)"):
        other.optimize(lambda t: t.suggest_float("z", 0.0, 1.0), n_trials=2)
