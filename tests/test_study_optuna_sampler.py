"""One of Optuna's own samplers handed to an nntune study: one line naming nntune's."""

from __future__ import annotations

import optuna
import pytest

import nntune
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("make", [optuna.samplers.TPESampler, optuna.samplers.RandomSampler])
def test_optunas_own_sampler_is_refused_before_the_study_is_made(make, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with pytest.raises(ConfigError, match=rf"^sampler: optuna.samplers.{make.__name__} works on Optuna's own "
                                          rf"study, not nntune's; use nntune.samplers.{make.__name__}"):
        nntune.create_study(study_name="s", storage=url, sampler=make(seed=0))
    assert nntune.get_all_study_names(url) == []  # nothing half-made
    nntune.create_study(study_name="s", storage=url)
    with pytest.raises(ConfigError, match="^sampler: optuna.samplers.TPESampler"):
        nntune.load_study(study_name="s", storage=url, sampler=optuna.samplers.TPESampler())
