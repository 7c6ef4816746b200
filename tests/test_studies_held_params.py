"""A waiting trial added with parameters and their distributions holds them from its start,
as Optuna's: ``ask`` returns it with them, and they are stored whether the objective asks
for them or not. Each case runs under Optuna too, the reference."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import optuna
import pytest

import nntune

optuna.logging.set_verbosity(optuna.logging.WARNING)
PARAMS = {"x": 0.5, "n": 3, "c": "b"}


def _study(lib: ModuleType, storage: str | None) -> Any:
    d = lib.distributions
    study = lib.create_study(storage=storage)
    study.add_trial(lib.trial.create_trial(
        state=lib.trial.TrialState.WAITING, params=PARAMS,
        distributions={"x": d.FloatDistribution(0, 1), "n": d.IntDistribution(1, 5), "c": d.CategoricalDistribution(["a", "b"])}))
    return study


def _asked(lib: ModuleType, storage: str | None) -> tuple[Any, ...]:
    study = _study(lib, storage)
    trial = study.ask()
    as_json = {k: lib.distributions.distribution_to_json(d) for k, d in trial.distributions.items()}
    at_ask = (trial.params, as_json, study.trials[0].params)
    study.tell(trial, trial.suggest_float("x", 0, 1))
    return at_ask + (study.trials[0].params,)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_ask_returns_the_parameters_an_added_waiting_trial_holds(tmp_path, kind):
    url = None if kind == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    assert _asked(nntune, url) == _asked(optuna, None)


@pytest.mark.parametrize("lib", [nntune, optuna], ids=["nntune", "optuna"])
def test_held_parameters_are_kept_though_the_objective_asks_for_none(lib, tmp_path):
    study = _study(lib, f"sqlite:///{tmp_path / 's.db'}")
    study.optimize(lambda trial: 1.0, n_trials=1)
    assert study.trials[0].params == PARAMS


@pytest.mark.parametrize("lib", [nntune, optuna], ids=["nntune", "optuna"])
def test_a_held_parameter_asked_as_another_kind_is_refused(lib):
    trial = _study(lib, None).ask()
    with pytest.raises(ValueError):
        trial.suggest_int("x", 0, 1)
    assert trial.suggest_int("n", 1, 5) == 3 and trial.params == PARAMS


def test_the_held_distributions_are_no_column_of_the_trials_frame():
    study = _study(nntune, None)
    study.optimize(lambda trial: 1.0, n_trials=1)
    assert not [c for c in study.trials_dataframe().columns if "fixed_distributions" in c]
