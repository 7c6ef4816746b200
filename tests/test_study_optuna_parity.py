"""Studies and trials side by side with Optuna: what an Optuna script reads back from an
enqueued trial, an added trial, and a trial record it edits before adding it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nntune
from nntune.storages import JournalStorage
from nntune.storages.journal import JournalFileBackend
from nntune.trial import FrozenTrial, TrialState, create_trial


def _storages(tmp_path: Path) -> list[object]:
    return [None, f"sqlite:///{tmp_path}/s.db", JournalStorage(JournalFileBackend(str(tmp_path / "j.log")))]


def test_enqueued_user_attrs_are_visible_to_the_objective(tmp_path: Path) -> None:
    for storage in _storages(tmp_path):
        study = nntune.create_study(storage=storage)
        study.enqueue_trial({"x": 0.7}, user_attrs={"source": "paper"})
        seen = []

        def objective(trial: nntune.Trial) -> float:
            seen.append(trial.user_attrs)
            return trial.suggest_float("x", 0, 1)

        study.optimize(objective, n_trials=2)
        assert seen == [{"source": "paper"}, {}]
        study.enqueue_trial({"x": 0.2}, user_attrs={"source": "ask"})
        assert study.ask().user_attrs == {"source": "ask"}


def test_an_infinite_value_is_a_complete_trial_s_value_and_nan_is_none(tmp_path: Path) -> None:
    # As Optuna stores them: an objective's inf (a configuration it rules out) is a value.
    for storage in _storages(tmp_path):
        study = nntune.create_study(storage=storage)
        study.add_trial(create_trial(value=math.inf))
        study.add_trial(FrozenTrial(number=0, state=TrialState.COMPLETE, value=math.nan))
        study.add_trial(create_trial(value=3.0))
        study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + math.inf, n_trials=1)
        study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + math.nan, n_trials=1)
        states = [(t.state, t.value) for t in nntune.load_study(study_name=study.study_name, storage=study.storage).trials]
        assert states == [(TrialState.COMPLETE, math.inf), (TrialState.DIVERGED, None), (TrialState.COMPLETE, 3.0),
                          (TrialState.COMPLETE, math.inf), (TrialState.DIVERGED, None)]
        assert study.best_value == 3.0
    best = nntune.create_study(direction="maximize")
    best.optimize(lambda t: [1.0, math.inf, -math.inf][t.number], n_trials=3)
    assert (best.best_value, best.best_trial.number) == (math.inf, 1)


def test_an_infinite_value_of_one_objective_of_several_is_kept() -> None:
    study = nntune.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (1.0, -math.inf), n_trials=1)
    assert [(t.state, t.values) for t in study.trials] == [(TrialState.COMPLETE, [1.0, -math.inf])]


def test_an_added_pruned_trial_keeps_the_value_it_was_given_and_a_told_one_its_last_report(tmp_path: Path) -> None:
    # Optuna's add_trial stores a pruned trial's value as given (None here); its
    # tell(state=PRUNED) takes the last reported value.
    for storage in _storages(tmp_path):
        study = nntune.create_study(storage=storage)
        study.add_trial(create_trial(state=TrialState.PRUNED, intermediate_values={0: 1.0, 3: 0.5}))
        study.add_trial(create_trial(state=TrialState.PRUNED, value=0.7, intermediate_values={0: 1.0}))
        trial = study.ask()
        trial.report(0.7, 1)
        trial.report(0.3, 4)
        study.tell(trial, state=TrialState.PRUNED)
        assert [(t.value, t.intermediate_values) for t in study.trials] == [
            (None, {0: 1.0, 3: 0.5}), (0.7, {0: 1.0}), (0.3, {1: 0.7, 4: 0.3})]


def test_create_trial_refuses_nan_and_a_failed_trial_with_a_value() -> None:
    with pytest.raises(ValueError, match="NaN"):
        create_trial(value=math.nan)
    with pytest.raises(ValueError, match="NaN"):
        create_trial(values=[1.0, math.nan])
    with pytest.raises(ValueError, match="failed trial has no value"):
        create_trial(state=TrialState.FAIL, value=2.0)


def test_frozen_trial_values_can_be_set_as_in_optuna() -> None:
    trial = create_trial(value=1.0)
    trial.values = [2.0, 3.0]
    assert (trial.value, trial.values) == (2.0, [2.0, 3.0])
    trial.values = [4.0]
    assert (trial.values, "values" in trial.system_attrs) == ([4.0], False)
    trial.values = None
    assert trial.values is None and trial.value is None


def test_a_caught_failure_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    study = nntune.create_study()

    def objective(trial: nntune.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise ValueError("boom")

    with caplog.at_level("WARNING", logger="nntune.study"):
        study.optimize(objective, n_trials=1, catch=(ValueError,))
    failed = [r for r in caplog.records if r.levelname == "WARNING" and "Trial 0 failed" in r.getMessage()]
    assert len(failed) == 1 and "ValueError: boom" in failed[0].getMessage()


def test_redis_journal_is_refused_in_one_line() -> None:
    from nntune import storages
    from nntune.exceptions import ConfigError

    for backend in (storages.journal.JournalRedisBackend, storages.JournalRedisStorage):
        with pytest.raises(ConfigError, match="Redis server"):
            storages.JournalStorage(backend("redis://localhost:6379"))


def test_an_empty_study_name_is_refused_not_replaced(tmp_path: Path) -> None:
    from nntune.exceptions import ConfigError

    url = f"sqlite:///{tmp_path}/e.db"
    for load_if_exists in (False, True):
        with pytest.raises(ConfigError, match="^study_name: must not be empty"):
            nntune.create_study(study_name="", storage=url, load_if_exists=load_if_exists)
    assert nntune.get_all_study_names(url) == []


def test_enqueue_skip_if_exists_compares_the_whole_parameter_set_as_optuna() -> None:
    study = nntune.create_study()
    study.enqueue_trial({"lr": 0.01, "units": 64})
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1) + t.suggest_int("units", 8, 128), n_trials=1)
    # A partial set that a trial also ran with is another trial: it is enqueued.
    assert study.enqueue_trial({"lr": 0.01}, skip_if_exists=True) is not None
    assert study.enqueue_trial({"lr": 0.01}, skip_if_exists=True) is None  # now it was enqueued
    assert study.enqueue_trial({"lr": 0.01, "units": 64}, skip_if_exists=True) is None
    assert study.enqueue_trial({"lr": 0.0100000001, "units": 64}, skip_if_exists=True) is None
    assert study.enqueue_trial({"lr": 0.02, "units": 64}, skip_if_exists=True) is not None


def test_a_storage_that_is_neither_a_url_nor_nntunes_is_one_line(tmp_path: Path) -> None:
    from nntune.exceptions import ConfigError

    for storage in (3, tmp_path / "s.db"):
        with pytest.raises(ConfigError, match=r"^storage: expected a URL or a storage of nntune.storages .*got "):
            nntune.create_study(storage=storage)
        with pytest.raises(ConfigError, match="^storage: expected a URL"):
            nntune.get_all_study_names(storage)
    assert list(tmp_path.iterdir()) == []


def test_rdb_storage_that_cannot_open_is_one_line(tmp_path: Path) -> None:
    from nntune.exceptions import ConfigError
    from nntune.storages import RDBStorage

    with pytest.raises(ConfigError, match="^url: cannot open sqlite:///.*/no/x.db: .*unable to open database file$"):
        RDBStorage(f"sqlite:///{tmp_path}/no/x.db")
    with pytest.raises(ConfigError, match="^url: expected a database URL"):
        RDBStorage(3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^url: cannot open postgresql://u:\*\*\*@"):
        RDBStorage("postgresql://u:secret@127.0.0.1:1/db")


def test_add_trials_checks_every_trial_before_storing_any(tmp_path: Path) -> None:
    from nntune.distributions import FloatDistribution

    bad_ones = [
        create_trial(state=TrialState.RUNNING, value=1.0),
        FrozenTrial(number=-1, state=TrialState.COMPLETE, value=1.0, params={"x": 5.0},
                    distributions={"x": FloatDistribution(0, 1)}),
        FrozenTrial(number=-1, state=TrialState.COMPLETE, value=1.0, params={"x": 0.5}),
    ]
    study = nntune.create_study(storage=f"sqlite:///{tmp_path}/s.db")
    for bad in bad_ones:
        with pytest.raises(ValueError):
            study.add_trials([create_trial(value=1.0), bad])
        assert study.trials == []


def test_copy_study_refusing_a_trial_creates_no_half_copy(tmp_path: Path) -> None:
    from nntune.storage import get_storage

    source, target = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    study = nntune.create_study(study_name="s", storage=source)
    study.add_trial(create_trial(value=1.0))
    store = get_storage(source)
    number = store.create_trial(study.id)  # a complete trial without its value, as older versions could store
    store.finish_trial(study.id, number, TrialState.COMPLETE, None)
    with pytest.raises(ValueError, match="^cannot copy trial 1 of 's': a complete trial needs its value$"):
        nntune.copy_study(from_study_name="s", from_storage=source, to_storage=target)
    assert nntune.get_all_study_names(target) == []


def test_a_running_trial_is_added_started_and_is_told_or_recovered_later(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from nntune.distributions import FloatDistribution

    made = create_trial(state=TrialState.RUNNING, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)},
                        intermediate_values={0: 3.0})
    assert made.datetime_start is not None and made.datetime_complete is None  # as Optuna's
    for storage in _storages(tmp_path):
        study = nntune.create_study(storage=storage)
        study.add_trial(made)
        added = study.trials[0]
        assert (added.state, added.params, added.intermediate_values) == (TrialState.RUNNING, {"x": 0.5}, {0: 3.0})
        study.tell(0, 1.5)
        assert (study.trials[0].state, study.trials[0].value) == (TrialState.COMPLETE, 1.5)
        # One started long ago, with no worker behind it: not stale at once, recovered once silent.
        old = create_trial(state=TrialState.RUNNING)
        old.datetime_start = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=1)
        study.add_trial(old)
        assert study.storage.recover_stale_trials(study.id, 60) == {}
        later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=120)
        assert list(study.storage.recover_stale_trials(study.id, 60, now=later)) == [1]


def test_rdb_grace_period_without_heartbeat_is_accepted_and_fails_nothing(tmp_path: Path) -> None:
    import time

    from nntune.storages import RDBStorage, fail_stale_trials

    with pytest.warns(UserWarning, match="^heartbeat_interval: not given, so no heartbeat runs"):
        storage = RDBStorage(f"sqlite:///{tmp_path}/g.db", grace_period=0.05)
    assert (storage.heartbeat_interval, storage.grace_period) == (None, 0.05)  # as Optuna keeps them
    study = nntune.create_study(storage=storage)
    study.ask()
    time.sleep(0.1)  # past the grace period, yet with no heartbeat running no trial is silent
    fail_stale_trials(study)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.RUNNING, TrialState.COMPLETE]
