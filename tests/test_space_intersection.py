"""``nntune.search_space`` as samplers written for Optuna call it."""

from __future__ import annotations

import nntune
from nntune.distributions import FloatDistribution, IntDistribution
from nntune.search_space import IntersectionSearchSpace


def test_calculate_takes_optunas_use_cache_argument() -> None:
    # Optuna's TPE calls ``calculate(study, use_trial_cache)``; a sampler copying it raised
    # TypeError: calculate() takes 2 positional arguments but 3 were given.
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + (t.suggest_int("n", 1, 3) if t.number else 0), n_trials=3)
    space = IntersectionSearchSpace()
    assert space.calculate(study, True) == space.calculate(study, use_cache=False) == {"x": FloatDistribution(0, 1)}
    pruned = IntersectionSearchSpace(include_pruned=True)
    study.add_trial(nntune.trial.create_trial(state=nntune.TrialState.PRUNED, params={"n": 2},
                                              distributions={"n": IntDistribution(1, 3)}))
    assert pruned.calculate(study) == {}
