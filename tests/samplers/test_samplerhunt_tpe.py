"""TPESampler's options as Optuna scripts pass them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nntune as optuna
from nntune.samplers import TPESampler


def test_hyperopt_parameters_build_a_sampler_as_in_optunas_example() -> None:
    # Optuna's documented example: TPESampler(**TPESampler.hyperopt_parameters()).
    real_optuna = pytest.importorskip("optuna")
    params = TPESampler.hyperopt_parameters()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated by Optuna 4.9, still in scripts
        theirs = real_optuna.samplers.TPESampler.hyperopt_parameters()
    assert params.keys() == theirs.keys()
    for n in (0, 1, 10, 100, 1000):
        assert params["gamma"](n) == theirs["gamma"](n)
    for n in (0, 3, 25, 40):
        np.testing.assert_allclose(params["weights"](n), theirs["weights"](n))
    sampler = TPESampler(**params, seed=0)
    assert sampler.n_startup_trials == 20
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -10, 10) ** 2, n_trials=30)
    assert len(study.trials) == 30 and study.best_value < 5
