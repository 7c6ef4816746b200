"""Every spelling of an in-memory SQLite database is one database for all the study's
threads (``n_jobs``, a heartbeat's), as ``sqlite:///:memory:`` is: each new connection to
such a database would be an empty database of its own ("no such table: studies")."""

from __future__ import annotations

import pickle

import pytest

import nntune

SPELLINGS = ["sqlite:///", "sqlite+pysqlite:///:memory:", "sqlite+pysqlite://", "sqlite:///:memory:?timeout=5"]


@pytest.mark.parametrize("url", SPELLINGS)
def test_threads_share_an_in_memory_database_however_it_is_spelled(url):
    study = nntune.create_study(storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", -1, 1)
        trial.report(x, 0)
        return x * x

    study.optimize(objective, n_trials=6, n_jobs=3)
    assert sorted(t.number for t in study.trials) == list(range(6))
    assert {t.state.name for t in study.trials} == {"COMPLETE"}


@pytest.mark.parametrize("url", SPELLINGS)
def test_an_in_memory_study_is_not_pickled_as_a_url_to_reopen(url):
    # Reopened from its URL in another process, it would be a new, empty database.
    study = nntune.create_study(storage=url)
    with pytest.raises(TypeError, match="in-memory SQLite"):
        pickle.dumps(study.storage)


def test_connect_args_of_ones_own_keep_the_database_shared_by_threads():
    # Optuna's advice for a busy SQLite file, given to an in-memory database: the caller's
    # connect_args are merged with nntune's, not put in their place.
    given = {"connect_args": {"timeout": 100}}
    storage = nntune.storages.RDBStorage("sqlite:///:memory:", engine_kwargs=given, heartbeat_interval=5)
    study = nntune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4, n_jobs=2)
    assert len(study.trials) == 4 and {t.state.name for t in study.trials} == {"COMPLETE"}
    assert given == {"connect_args": {"timeout": 100}}  # the caller's dict is left as it was
