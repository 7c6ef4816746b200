"""A sampler that fails at a trial's ask: the trial ends failed with the reason, as
Optuna's does, instead of staying running in the storage for ever."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import CmaEsSampler
from nntune.trial import TrialState


def test_a_sampler_error_at_ask_fails_the_claimed_trial(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    # x0 out of the range is met once CMA-ES leaves its start-up trial (trial 1).
    study = nntune.create_study(study_name="s", storage=url, sampler=CmaEsSampler(x0={"x": 5}, seed=0))
    with pytest.raises(ConfigError, match="^x0: x: must be a number in"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    trials = nntune.load_study(study_name="s", storage=url).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert trials[1].error == "ConfigError: x0: x: must be a number in [0, 1], got 5"
