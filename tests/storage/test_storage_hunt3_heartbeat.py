"""Only trials that a runner keeps beating are watched for silence: a trial from
``Study.ask`` (Optuna's ask-and-tell) is never failed as stale, however long it waits."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

import nntune
from nntune.storage import InMemoryStorage
from nntune.storage._base import utcnow
from nntune.storage.journal import JournalStorage
from nntune.storage.sql import SQLStorage
from nntune.storages import RDBStorage, fail_stale_trials
from nntune.trial import TrialState


def test_an_asked_trial_outlives_the_grace_period_and_can_be_told(tmp_path):
    storage = RDBStorage(f"sqlite:///{tmp_path}/a.db", heartbeat_interval=0.05, grace_period=0.1)
    study = nntune.create_study(storage=storage)
    asked = study.ask()
    asked.suggest_float("x", 0, 1)
    asked.report(0.5, 0)  # a report says nothing of a heartbeat the trial never had
    time.sleep(0.2)  # silent past the grace period
    fail_stale_trials(study)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.RUNNING, TrialState.COMPLETE]
    assert study.tell(asked, 1.0).state == TrialState.COMPLETE


def _storages(tmp_path):
    return [InMemoryStorage(), SQLStorage(f"sqlite:///{tmp_path}/s.db"),
            JournalStorage(str(tmp_path / "j.log"))]


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_a_claim_without_heartbeat_is_never_stale_but_a_beating_one_is(tmp_path, kind):
    storage = _storages(tmp_path)[kind]
    sid = storage.create_study("s", "minimize")
    quiet = storage.claim_trial(sid, heartbeat=False).number
    storage.report(sid, quiet, 1, 0.5)
    watched = storage.claim_trial(sid).number
    storage.create_trial(sid, state=TrialState.WAITING)
    queued = storage.claim_trial(sid, heartbeat=False).number  # a re-queued or enqueued one as well
    later = utcnow() + timedelta(seconds=120)
    assert storage.recover_stale_trials(sid, 60, now=later) == {watched: TrialState.FAILED}
    assert {storage.get_trial(sid, n).state for n in (quiet, queued)} == {TrialState.RUNNING}


def test_get_n_trials_takes_optunas_own_state_and_a_tuple(tmp_path):
    optuna = pytest.importorskip("optuna")
    storage = SQLStorage(f"sqlite:///{tmp_path}/n.db")
    study = nntune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study.ask()
    assert storage.get_n_trials(study.id, optuna.trial.TrialState.COMPLETE) == 2
    assert storage.get_n_trials(study.id, (optuna.trial.TrialState.COMPLETE, TrialState.RUNNING)) == 3
    assert storage.get_n_trials(study.id, TrialState.RUNNING) == 1
    assert storage.get_n_trials(study.id) == 3
