"""Samplers saved with pickle, as Optuna's FAQ resumes a study (``pickle.dump(study.sampler, f)``),
or copied with ``copy.deepcopy``."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

import nntune as optuna
from nntune.samplers import PartialFixedSampler, RandomSampler, TPESampler


class _FirstLow(optuna.samplers.BaseSampler):
    """A sampler written for Optuna: every parameter at its low end."""

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return {}

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return dist.low


def _objective(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0, 1) + trial.suggest_int("units", 8, 64)


@pytest.mark.parametrize("base", [TPESampler(seed=0, n_startup_trials=2), RandomSampler(seed=3), _FirstLow()],
                         ids=["tpe", "random", "optuna-style"])
@pytest.mark.parametrize("clone", [lambda s: pickle.loads(pickle.dumps(s)), copy.deepcopy], ids=["pickle", "deepcopy"])
def test_partial_fixed_sampler_survives_pickle_and_deepcopy(base: Any, clone: Any) -> None:
    sampler = PartialFixedSampler({"units": 32}, base)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=3)
    again = clone(sampler)
    assert type(again) is type(sampler) and again.fixed_params == {"units": 32}
    resumed = optuna.create_study(sampler=again)
    resumed.add_trials(study.trials)
    resumed.optimize(_objective, n_trials=2)
    study.optimize(_objective, n_trials=2)
    assert [t.params for t in resumed.trials] == [t.params for t in study.trials]
    assert all(t.params["units"] == 32 for t in resumed.trials)
