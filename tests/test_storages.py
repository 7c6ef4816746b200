"""RDBStorage's heartbeat settings: a trial whose process went silent is re-run (with
RetryFailedTrialCallback) or failed and handed to the callback."""

from __future__ import annotations

import time

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.storages import RDBStorage, RetryFailedTrialCallback, RetryHeartbeatStaleTrialCallback
from nntune.trial import TrialState


def abandoned_study(url: str, callback, keyword: str = "failed_trial_callback"):
    """A study with trial 0 started by a process that then went silent."""
    storage = RDBStorage(url, heartbeat_interval=0.05, grace_period=0.2, **{keyword: callback})
    study = nntune.create_study(study_name="s", storage=storage)
    study.try_ask(None).suggest_float("x", 0, 1)  # as optimize starts a trial: with a heartbeat
    time.sleep(0.3)  # longer than the grace period, with no heartbeat
    return study


@pytest.mark.parametrize("callback, keyword", [
    (RetryFailedTrialCallback, "failed_trial_callback"),  # Optuna 2.8-4.8's names
    (RetryHeartbeatStaleTrialCallback, "heartbeat_stale_trial_callback"),  # Optuna 4.9's
])
def test_a_silent_trial_runs_again_under_retry(tmp_path, callback, keyword):
    study = abandoned_study(f"sqlite:///{tmp_path}/r.db", callback(max_retry=2), keyword)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    first = study.trials[0]
    assert first.state == TrialState.COMPLETE and first.system_attrs["retries"] == 1
    assert RetryFailedTrialCallback.retried_trial_number(first) == 0
    assert RetryFailedTrialCallback.retry_history(first) == [0]
    assert len(study.trials) == 2


def test_a_silent_trial_fails_and_goes_to_the_callback(tmp_path):
    told = []
    study = abandoned_study(f"sqlite:///{tmp_path}/f.db", lambda s, t: told.append((s.study_name, t.number, t.state)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert told == [("s", 0, TrialState.FAILED)]
    assert [t.state for t in study.trials] == [TrialState.FAILED, TrialState.COMPLETE]


def test_a_running_trial_keeps_beating(tmp_path):
    # A beat every 0.05 s against a grace of 1 s: a loaded machine may hold one beat back a
    # few tenths of a second (a busy SQLite file), and the point is the beat, not its timing.
    storage = RDBStorage(f"sqlite:///{tmp_path}/b.db", heartbeat_interval=0.05, grace_period=1.0)
    study = nntune.create_study(storage=storage)
    other = RDBStorage(f"sqlite:///{tmp_path}/b.db")
    recovered = []

    def objective(trial):
        time.sleep(1.5)  # silent itself for longer than the grace, but the heartbeat thread speaks for it
        recovered.append(other.recover_stale_trials(study.id, 1.0))
        return 1.0

    study.optimize(objective, n_trials=1)
    assert recovered == [{}] and study.trials[0].state == TrialState.COMPLETE


@pytest.mark.parametrize("kwargs, field", [
    ({"heartbeat_interval": 0}, "heartbeat_interval"),
    ({"heartbeat_interval": 1, "grace_period": -1}, "grace_period"),
    # Taken, these failed every optimize with an OverflowError that named no setting.
    ({"heartbeat_interval": float("inf")}, "heartbeat_interval"),
    ({"heartbeat_interval": 1e10}, "heartbeat_interval"),  # longer than a thread may wait
    ({"heartbeat_interval": True}, "heartbeat_interval"),
    ({"heartbeat_interval": 1, "grace_period": float("inf")}, "grace_period"),
    ({"heartbeat_interval": 1, "grace_period": 1e14}, "grace_period"),  # past what a timedelta holds
])
def test_bad_heartbeat_settings_name_the_field(tmp_path, kwargs, field):
    with pytest.raises(ConfigError) as err:
        RDBStorage(f"sqlite:///{tmp_path}/x.db", **kwargs)
    assert err.value.field == field
    with pytest.raises(ConfigError, match="max_retry"):
        RetryFailedTrialCallback(max_retry=-1)


def test_fail_stale_trials_fails_the_silent_trial_at_once(tmp_path):
    from nntune.storages import fail_stale_trials

    told = []
    study = abandoned_study(f"sqlite:///{tmp_path}/s.db", lambda s, t: told.append(t.number))
    assert study.trials[0].state == TrialState.RUNNING
    fail_stale_trials(study)
    assert study.trials[0].state == TrialState.FAILED and told == [0]
