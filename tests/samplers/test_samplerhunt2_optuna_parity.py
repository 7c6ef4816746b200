"""Samplers as Optuna's: QMC's points of a declared space, a user's sampler as
``independent_sampler``, CMA-ES's warning for choices, a NaN grid value, the genetic
samplers' generation methods, and what the README says of them."""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import nntune as optuna
from nntune.exceptions import ConfigError


def two_floats(trial):
    return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_float("y", 0.0, 1.0)


def test_a_declared_space_still_takes_point_k_at_trial_k():
    space = optuna.Space({"x": optuna.Float(0.0, 1.0), "y": optuna.Float(0.0, 1.0)})
    study = optuna.create_study(sampler=optuna.samplers.QMCSampler(seed=0), space=space)
    study.optimize(lambda t: sum(t.suggest_space(space).values()), n_trials=3)
    assert [(t.params["x"], t.params["y"]) for t in study.trials] == [(0.0, 0.0), (0.5, 0.5), (0.75, 0.25)]


class LowestSampler(optuna.samplers.BaseSampler):
    """A user's sampler of Optuna's interface: every parameter at its low end (the first choice)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, int]] = []
        self.hooks: list[tuple[str, int]] = []

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        self.calls.append((trial.number, param_name, len(study.get_trials(deepcopy=False))))
        return getattr(param_distribution, "low", None) if hasattr(param_distribution, "low") \
            else param_distribution.choices[0]

    def before_trial(self, study, trial):
        self.hooks.append(("before", trial.number))

    def after_trial(self, study, trial, state, values):
        self.hooks.append(("after", trial.number))


def branchy(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_categorical("c", ["a", "b"])
    return x


@pytest.mark.parametrize("make", [optuna.samplers.QMCSampler, optuna.samplers.GPSampler,
                                  optuna.samplers.CmaEsSampler])
def test_a_users_base_sampler_is_taken_as_independent_sampler_and_asked_with_the_study(make):
    mine = LowestSampler()
    study = optuna.create_study(sampler=make(seed=0, independent_sampler=mine, warn_independent_sampling=False))
    study.optimize(branchy, n_trials=2)
    # Trial 0 is the independent sampler's, as in Optuna: asked with the study and trial 0.
    assert (0, "x", 1) in mine.calls and (0, "c", 1) in mine.calls
    assert study.trials[0].params == {"x": 0.0, "c": "a"}
    assert mine.hooks == [("before", 0), ("after", 0), ("before", 1), ("after", 1)]


def test_an_independent_sampler_is_refused_in_one_line_when_it_is_none_or_one_of_optunas():
    with pytest.raises(ConfigError, match=r"^independent_sampler: needs a sampler .* got object$"):
        optuna.samplers.QMCSampler(independent_sampler=object())
    real_optuna = pytest.importorskip("optuna")
    with pytest.raises(ConfigError, match=r"^independent_sampler: optuna.samplers.RandomSampler works on Optuna's"):
        optuna.samplers.GPSampler(independent_sampler=real_optuna.samplers.RandomSampler(seed=0))


def choice_and_float(trial):
    return trial.suggest_float("x", 0.0, 1.0) + (trial.suggest_categorical("c", ["a", "b"]) == "a")


def test_cmaes_warns_as_optuna_of_a_choice_it_draws_on_its_own_after_its_start_up(sampler_log):
    study = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0))
    study.optimize(choice_and_float, n_trials=3)
    # logged to Optuna's logger name for it (optuna.samplers._cmaes), as Optuna logs it
    assert {r.name for r in sampler_log.records} == {"nntune.samplers._cmaes"}
    said = [m for m in sampler_log.messages if "warn_independent_sampling=False" in m]
    # Optuna warns in trials 1 and 2 (not 0: the first trial is drawn on its own by design).
    assert [s.split(" is drawn")[0] for s in said] == ["c in trial 1", "c in trial 2"]
    assert "a choice, which CMA-ES does not model" in said[0]
    sampler_log.clear()
    quiet = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0, warn_independent_sampling=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        quiet.optimize(choice_and_float, n_trials=3)
    assert not sampler_log.messages
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # Optuna's way to silence it, as its own logger
    try:
        optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0)).optimize(choice_and_float, n_trials=3)
    finally:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert not sampler_log.messages


def test_a_nan_grid_value_is_refused_in_one_line_naming_the_parameter():
    with pytest.raises(ConfigError, match=r"^lr: the grid's values include NaN"):
        optuna.samplers.GridSampler({"units": [8, 16], "lr": [0.1, float("nan")]})
    with pytest.raises(ConfigError, match=r"^lr: the grid's values include NaN"):
        optuna.samplers.GridSampler({"lr": np.array([0.1, np.nan])})


GA_METHODS = ("get_trial_generation", "get_population", "get_parent_population", "select_parent")


@pytest.mark.parametrize("make", [optuna.samplers.NSGAIISampler, optuna.samplers.NSGAIIISampler])
def test_the_genetic_samplers_have_optunas_generation_methods(make):
    sampler = make(population_size=4, seed=0)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1) ** 0.5), n_trials=12)
    assert [sampler.get_trial_generation(study, t) for t in study.trials] == [0] * 4 + [1] * 4 + [2] * 4
    assert [t.number for t in sampler.get_population(study, 1)] == [4, 5, 6, 7]
    assert sampler.get_parent_population(study, 0) == [] == sampler.select_parent(study, 0)
    parents = sampler.get_parent_population(study, 2)
    assert len(parents) == 4 and all(t.number < 8 for t in parents)
    # The study's own trials, with their values (not the scores the sampler ranks by).
    by_number = {t.number: t for t in study.trials}
    assert all(t.values == by_number[t.number].values for t in parents)
    for name in GA_METHODS:
        assert list(inspect.signature(getattr(sampler, name)).parameters) == \
            (["study", "trial"] if name == "get_trial_generation" else ["study", "generation"])


def test_the_readme_says_where_tpe_defaults_differ_and_what_the_grid_does():
    tpe = optuna.samplers.TPESampler(seed=0)
    assert tpe.multivariate is True and tpe.weights is None  # Optuna: False and its ramp
    assert "weights" in optuna.samplers.TPESampler.hyperopt_parameters()
    text = re.sub(r"\s+", " ", (Path(__file__).resolve().parents[2] / "README.md").read_text())
    assert "`multivariate=True`" in text and "TPESampler.hyperopt_parameters()" in text
    assert "a trial enqueued after the grid is done still runs" in text
