"""FixedTrial: an objective run at given values, with no study behind it."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.trial import FixedTrial


def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    beta = trial.suggest_beta("momentum", 0.8, 0.99)
    for epoch in range(3):
        trial.report(lr * (epoch + 1), epoch)
        if trial.should_prune():
            raise nntune.TrialPruned()
    trial.set_user_attr("act", act)
    return lr * layers + beta


def test_the_given_values_are_returned_and_recorded():
    params = {"lr": 1e-3, "layers": 2, "act": "tanh", "momentum": 0.9}
    trial = FixedTrial(params, number=4, seed=3)
    assert objective(trial) == pytest.approx(2e-3 + 0.9)
    assert trial.params == params and trial.number == 4 and trial.user_attrs == {"act": "tanh"}
    assert set(trial.distributions) == set(params) and trial.intermediate_values == {0: 1e-3, 1: 2e-3, 2: 3e-3}
    study = nntune.create_study(seed=3)
    asked = [study.ask() for _ in range(5)]
    assert trial.seed == asked[4].seed  # the seed trial 4 of a study seeded 3 trains with
    assert trial.pending_changes() == {} and trial.take_changes(1, params) == {}


def test_the_best_trial_runs_again_with_its_value():
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0), pruner=nntune.pruners.NopPruner())
    study.optimize(objective, n_trials=10)
    assert objective(FixedTrial(study.best_params)) == pytest.approx(study.best_value)


def test_missing_outside_and_changed_kinds():
    with pytest.raises(ValueError, match="^layers: no value given"):
        objective(FixedTrial({"lr": 1e-3}))
    with pytest.warns(UserWarning, match=r"lr: the given value 2.0 is outside \[1e-05, 0.1\]") as seen:
        objective(FixedTrial({"lr": 2.0, "layers": 1, "act": "relu", "momentum": 0.9}))
    assert seen[0].filename == __file__  # the objective's line (FrozenTrial shares the rule: test_trial)
    with pytest.raises(ValueError, match=r"act: the given value 'gelu' is not among the choices \['relu', 'tanh'\]"):
        objective(FixedTrial({"lr": 1e-3, "layers": 1, "act": "gelu", "momentum": 0.9}))  # as Optuna's
    trial = FixedTrial({"w": 0.5})
    trial.suggest_float("w", 0, 1)
    with pytest.raises(ConfigError, match="w: suggested as int after float"):
        trial.suggest_int("w", 0, 1)
    with pytest.raises(ValueError, match="step must be a non-negative integer"):
        trial.report(1.0, -1)


@pytest.mark.parametrize("params", [None, [("x", 1.0)], "x"])
def test_params_that_are_no_dict_are_refused_in_one_line(params):
    with pytest.raises(TypeError, match="^params: must be a dict of parameter values by name, got"):
        FixedTrial(params)
