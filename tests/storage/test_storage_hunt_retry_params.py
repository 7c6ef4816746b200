"""A trial of ``optimize`` whose process dies before its first report runs again, under
``RetryFailedTrialCallback``, with the parameters it had drawn (as Optuna's retried copy
does): a storage with a heartbeat has every suggestion stored as it is made."""

from __future__ import annotations

import time

import pytest

import nntune
from nntune.storages import RDBStorage, RetryFailedTrialCallback


class ProcessDied(BaseException):
    """Leaves the trial running and untold, as a killed process does (an out-of-memory kill
    in the first batch, before any report)."""


def test_a_retried_trial_runs_again_with_the_parameters_it_drew(tmp_path):
    storage = RDBStorage(f"sqlite:///{tmp_path / 'r.db'}", heartbeat_interval=0.05, grace_period=0.2,
                         failed_trial_callback=RetryFailedTrialCallback(max_retry=1))
    study = nntune.create_study(study_name="s", storage=storage, sampler=nntune.samplers.RandomSampler(seed=3))
    drawn: list[float] = []

    def dies(trial):
        drawn.append(trial.suggest_float("lr", 1e-5, 1e-1, log=True))
        raise ProcessDied

    with pytest.raises(ProcessDied):
        study.optimize(dies, n_trials=1)
    # Another process reading the study sees what the running trial drew.
    assert nntune.load_study(study_name="s", storage=storage.url).trials[0].params == {"lr": drawn[0]}
    time.sleep(0.3)  # past the grace period: the trial's heartbeat is silent
    rerun: list[float] = []
    study.optimize(lambda t: rerun.append(t.suggest_float("lr", 1e-5, 1e-1, log=True)) or 0.0, n_trials=1)
    assert rerun == drawn
    first = study.trials[0]
    assert first.params == {"lr": drawn[0]} and first.system_attrs["retries"] == 1


def test_a_trial_added_waiting_gets_its_user_attrs_back_when_it_runs_again(tmp_path):
    from nntune.distributions import FloatDistribution
    from nntune.trial import TrialState, create_trial

    storage = RDBStorage(f"sqlite:///{tmp_path / 'w.db'}", heartbeat_interval=0.05, grace_period=0.2,
                         failed_trial_callback=RetryFailedTrialCallback(max_retry=1))
    study = nntune.create_study(storage=storage)
    study.add_trial(create_trial(state=TrialState.WAITING, params={"x": 0.3},
                                 distributions={"x": FloatDistribution(0, 1)}, user_attrs={"source": "manual"}))

    def dies(trial):
        trial.suggest_float("x", 0, 1)
        raise ProcessDied

    with pytest.raises(ProcessDied):
        study.optimize(dies, n_trials=1)
    time.sleep(0.3)
    seen = []
    study.optimize(lambda t: seen.append((t.suggest_float("x", 0, 1), dict(t.user_attrs))) or 0.0, n_trials=1)
    # As an enqueued trial's: what it was added with, not an empty dict.
    assert seen == [(0.3, {"source": "manual"})]
    assert study.trials[0].user_attrs == {"source": "manual"}
    assert list(study.trials_dataframe().columns).count("user_attrs_source") == 1
