"""Every built-in sampler is an ``optuna.samplers.BaseSampler`` under nntune's names, as
each of Optuna's is: a script's own wrapper that checks ``isinstance(sampler,
BaseSampler)`` refused all of them."""

from __future__ import annotations

import nntune
from nntune.samplers import BaseSampler
from nntune.samplers._optuna_methods import asked_like_optuna


def test_every_built_in_sampler_is_a_base_sampler() -> None:
    s = nntune.samplers
    built_in = [s.TPESampler(seed=0), s.RandomSampler(seed=0), s.GridSampler({"x": [1]}), s.QMCSampler(seed=0),
                s.GPSampler(seed=0), s.CmaEsSampler(seed=0), s.NSGAIISampler(seed=0), s.NSGAIIISampler(seed=0),
                s.BruteForceSampler(seed=0), s.PartialFixedSampler({"x": 1}, s.RandomSampler(seed=0))]
    assert [type(x).__name__ for x in built_in if not isinstance(x, BaseSampler)] == []
    assert not isinstance(object(), BaseSampler)


def test_a_built_in_sampler_is_still_asked_on_nntunes_path() -> None:
    # Being a BaseSampler does not make the study ask it through Optuna's methods; a
    # user's own BaseSampler subclass is asked through them.
    class Mine(BaseSampler):
        def infer_relative_search_space(self, study, trial):
            return {}

        def sample_relative(self, study, trial, search_space):
            return {}

        def sample_independent(self, study, trial, param_name, param_distribution):
            return 0.25

    assert not asked_like_optuna(nntune.samplers.TPESampler(seed=0), "sample_independent")
    assert asked_like_optuna(Mine(), "sample_independent")
    study = nntune.create_study(sampler=Mine())
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert study.trials[0].params == {"x": 0.25}
