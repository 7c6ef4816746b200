"""``study._storage`` and ``study._study_id``, the private names of Optuna's Study that many
scripts and libraries read (``study._storage.get_all_trials(study._study_id, states=...)``)."""

from __future__ import annotations

import pickle

import pytest

import nntune as optuna
from nntune.trial import TrialState


@pytest.mark.parametrize("kind", ["memory", "rdb"])
def test_study_storage_and_id_as_optunas(tmp_path, kind):
    storage = optuna.storages.InMemoryStorage() if kind == "memory" \
        else optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 's.db'}")
    optuna.create_study(study_name="first", storage=storage)
    study = optuna.create_study(study_name="second", storage=storage, sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.enqueue_trial({"x": 0.5})

    assert study._storage == optuna.load_study(study_name="second", storage=storage)._storage  # a view of it
    assert study._study_id == storage.get_study_id_from_name("second")
    assert storage.get_study_name_from_id(study._study_id) == "second"
    done = study._storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.COMPLETE,))
    assert [t.number for t in done] == [0, 1, 2]
    assert study._storage.get_best_trial(study._study_id).number == study.best_trial.number
    with pytest.raises(AttributeError):
        study._storage = optuna.storages.InMemoryStorage()  # read-only, as the study's own handle


def test_study_private_names_survive_pickling():
    study = optuna.create_study(study_name="p")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    copy = pickle.loads(pickle.dumps(study))
    assert copy._study_id == study._study_id
    assert len(copy._storage.get_all_trials(copy._study_id)) == 1


class _CountingSampler(optuna.samplers.BaseSampler):
    """A sampler written for Optuna: it reads the study through Optuna's private methods."""

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        assert study._is_multi_objective() is False
        done = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True)
        return param_distribution.low + 0.1 * len(done)


def test_optuna_sampler_reads_study_private_methods():
    study = optuna.create_study(sampler=_CountingSampler())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.params["x"] for t in study.trials] == pytest.approx([0.0, 0.1, 0.2])
    both = optuna.create_study(directions=["minimize", "maximize"])
    assert both._is_multi_objective() is True
    assert both._get_trials(states=[TrialState.COMPLETE]) == []
