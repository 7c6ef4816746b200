"""Which samplers an nntune study can drive: nntune's and ones written on Optuna's
BaseSampler, not Optuna's own (they read Optuna's study internals)."""

from __future__ import annotations

import optuna
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers._checks import check_study_sampler


@pytest.mark.parametrize("make", [optuna.samplers.TPESampler, optuna.samplers.RandomSampler,
                                  optuna.samplers.NSGAIISampler])
def test_optunas_own_samplers_are_named_with_nntunes(make):
    with pytest.raises(ConfigError, match=rf"^sampler: optuna.samplers.{make.__name__} works on Optuna's own study"
                                          rf", not nntune's; use nntune.samplers.{make.__name__} \(the same"):
        check_study_sampler(make(seed=0))


class Written(optuna.samplers.BaseSampler):
    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return nntune.samplers.RandomSampler(seed=0).sample_independent(study, trial, param_name, param_distribution)


def test_a_sampler_written_on_optunas_base_class_and_nntunes_own_pass():
    for sampler in (Written(), nntune.samplers.TPESampler(seed=0)):
        assert check_study_sampler(sampler) is sampler
    study = nntune.create_study(sampler=Written())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2


def test_optunas_own_sampler_behind_a_wrapper_is_named_too():
    with pytest.raises(ConfigError, match="^sampler: optuna.samplers.TPESampler works on Optuna's own study"):
        check_study_sampler(nntune.samplers.PartialFixedSampler({"x": 0.5}, optuna.samplers.TPESampler(seed=0)))
