"""``Study(study_name, storage)``: how Optuna scripts open an existing study. nntune's
``Study`` took only the keywords ``create_study`` and ``load_study`` build it with."""

from __future__ import annotations

import pytest

import nntune
from nntune.samplers import RandomSampler
from nntune.storage import StudyNotFoundError


def _stored(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    study = nntune.create_study(study_name="kept", storage=url, direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    return url


def test_study_opens_a_stored_study_by_name_as_optunas_constructor(tmp_path) -> None:
    url = _stored(tmp_path)
    study = nntune.Study(study_name="kept", storage=url)
    loaded = nntune.load_study(study_name="kept", storage=url)
    assert (study.study_name, study.direction, study._study_id) == ("kept", "maximize", loaded._study_id)
    assert [t.params for t in study.trials] == [t.params for t in loaded.trials]
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    assert len(nntune.load_study(study_name="kept", storage=url).trials) == 3


def test_study_takes_optunas_positional_sampler_and_pruner(tmp_path) -> None:
    url = _stored(tmp_path)
    sampler, pruner = RandomSampler(seed=3), nntune.pruners.NopPruner()
    study = nntune.Study("kept", url, sampler, pruner)
    assert study.sampler is sampler and study.pruner is pruner


def test_a_study_not_in_the_storage_is_a_key_error_as_in_optuna(tmp_path) -> None:
    url = _stored(tmp_path)
    with pytest.raises(StudyNotFoundError, match=r"no study named 'other'"):
        nntune.Study(study_name="other", storage=url)
    with pytest.raises(TypeError, match=r"^Study\(\) needs the study's storage"):
        nntune.Study(study_name="kept")
