"""Optuna's own trials and distributions handed to an nntune study: Optuna's way to carry a
study over (``study.add_trials(other.trials)``) works from an Optuna study, and a script that
still imports ``optuna.distributions`` beside nntune gets nntune's distributions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import nntune
from nntune.space import Choice, Float, Int
from nntune.trial import TrialState, create_trial

optuna = pytest.importorskip("optuna")


@pytest.fixture(scope="module")
def optuna_study():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        n = trial.suggest_int("n", 1, 9, step=2)
        trial.suggest_categorical("c", ["a", "b"])
        trial.set_user_attr("source", "optuna")
        trial.report(x, 0)
        if trial.number == 1:
            raise optuna.TrialPruned()
        if trial.number == 2:
            raise ValueError("boom")
        return x + n

    study.optimize(objective, n_trials=5, catch=(ValueError,))
    study.enqueue_trial({"x": 0.5})
    return study


def test_an_optuna_studys_trials_are_added_as_they_are(tmp_path: Path, optuna_study) -> None:
    study = nntune.create_study(storage=f"sqlite:///{tmp_path}/s.db", sampler=nntune.samplers.TPESampler(seed=0))
    study.add_trials(optuna_study.trials)
    added = study.trials
    assert [t.state for t in added] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                                       TrialState.COMPLETE, TrialState.COMPLETE, TrialState.WAITING]
    for ours, theirs in zip(added[:5], optuna_study.trials):
        assert ours.params == theirs.params and ours.user_attrs == {"source": "optuna"}
        assert ours.intermediate_values == theirs.intermediate_values
        assert ours.distributions == {"x": Float(0, 1), "n": Int(1, 9, step=2), "c": Choice(("a", "b"))}
    assert [t.value for t in (added[0], added[3], added[4])] == \
        [optuna_study.trials[i].value for i in (0, 3, 4)]
    assert study.best_trial.params == optuna_study.best_params
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 9, step=2), n_trials=2)
    assert study.trials[5].params == {"x": 0.5, "n": study.trials[5].params["n"]}  # the enqueued trial ran first
    assert len(study.trials) == 7


def test_an_optuna_studys_times_are_moved_to_utc(optuna_study) -> None:
    study = nntune.create_study()
    study.add_trials(optuna_study.trials[:1])
    theirs = optuna_study.trials[0]
    assert study.trials[0].datetime_start == theirs.datetime_start.astimezone(timezone.utc).replace(tzinfo=None)
    assert study.trials[0].duration == pytest.approx(theirs.duration.total_seconds())


def test_an_optuna_study_of_two_objectives_carries_its_values_over() -> None:
    theirs = optuna.create_study(directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=0))
    theirs.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=2)
    ours = nntune.create_study(directions=["minimize", "maximize"])
    ours.add_trials(theirs.trials)
    assert [t.values for t in ours.trials] == [t.values for t in theirs.trials]
    single = nntune.create_study()
    with pytest.raises(ValueError, match="needs 1 value, got 2"):
        single.add_trials(theirs.trials)
    assert single.trials == []


def test_what_is_no_trial_is_refused_in_one_line() -> None:
    with pytest.raises(TypeError, match="^trial: must be a FrozenTrial"):
        nntune.create_study().add_trial({"x": 1.0})  # type: ignore[arg-type]


def test_optunas_distributions_become_nntunes(tmp_path: Path) -> None:
    od = optuna.distributions
    trial = create_trial(value=1.0, params={"x": 0.5, "c": "b"},
                         distributions={"x": od.FloatDistribution(0, 1), "c": od.CategoricalDistribution(["a", "b"])})
    assert trial.distributions == {"x": Float(0, 1), "c": Choice(("a", "b"))}
    study = nntune.create_study(storage=f"sqlite:///{tmp_path}/s.db")
    study.add_trial(trial)
    asked = study.ask({"lr": od.FloatDistribution(1e-4, 1e-1, log=True), "n": od.IntDistribution(1, 3)})
    assert asked.distributions == {"lr": Float(1e-4, 1e-1, log=True), "n": Int(1, 3)}
    study.tell(asked, 0.5)
    assert study.trials[1].distributions == asked.distributions


def test_a_zoned_time_of_a_trial_record_is_kept_as_utc() -> None:
    class Record:  # any object with Optuna's FrozenTrial fields
        state = TrialState.COMPLETE
        values = [1.0]
        params: dict[str, float] = {}
        distributions: dict[str, object] = {}
        intermediate_values: dict[int, float] = {}
        datetime_start = datetime(2024, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
        datetime_complete = datetime(2024, 1, 1, 9, 1, tzinfo=timezone(timedelta(hours=9)))

    study = nntune.create_study()
    study.add_trial(Record())  # type: ignore[arg-type]
    assert study.trials[0].datetime_start == datetime(2024, 1, 1, 0, 0)
    assert study.trials[0].duration == 60.0
