"""A study in an SQL database handed to other processes as Optuna's is: pickled (a
ProcessPoolExecutor's ``study.optimize``), each process opening its own connections."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import nntune
from nntune.storages import RDBStorage


def _objective(trial: nntune.Trial) -> float:
    return trial.suggest_float("x", -1, 1) ** 2


@pytest.mark.slow
def test_a_pickled_study_optimizes_in_other_processes(tmp_path: Path) -> None:
    study = nntune.create_study(study_name="shared", storage=f"sqlite:///{tmp_path}/s.db")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        for done in [pool.submit(study.optimize, _objective, n_trials=3) for _ in range(2)]:
            done.result()
    assert sorted(t.number for t in study.trials) == list(range(6))
    assert all(t.state == nntune.trial.TrialState.COMPLETE for t in study.trials)


def test_a_pickled_storage_keeps_its_settings_and_reads_the_same_study(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path}/s.db", engine_kwargs={"connect_args": {"timeout": 5}},
                         heartbeat_interval=30)
    study = nntune.create_study(study_name="s", storage=storage)
    study.tell(study.ask(), 1.0)
    again = pickle.loads(pickle.dumps(study))
    assert again.storage.heartbeat_interval == 30 and again.storage.grace_period == 60
    assert [t.value for t in again.trials] == [1.0]
    again.tell(again.ask(), 0.5)
    assert study.best_value == 0.5


def test_an_in_memory_sqlite_study_is_refused_in_one_line() -> None:
    study = nntune.create_study(storage="sqlite:///:memory:")
    with pytest.raises(TypeError, match=r"^an in-memory SQLite database lives in this process"):
        pickle.dumps(study)
