"""``FrozenTrial`` built as Optuna scripts build it."""

from __future__ import annotations

import datetime

import pytest

import nntune
from nntune.distributions import FloatDistribution
from nntune.trial import FixedTrial, FrozenTrial, TrialState


def test_frozen_trial_takes_optunas_positional_order() -> None:
    now = datetime.datetime(2024, 1, 1, 12, 0, 0)
    later = now + datetime.timedelta(seconds=3)
    trial = FrozenTrial(0, TrialState.COMPLETE, 1.0, now, later, {"x": 0.5}, {"x": FloatDistribution(0, 1)},
                        {"u": 1}, {"s": 2}, {0: 2.0}, 7)
    assert (trial.value, trial.params, trial.user_attrs, trial.system_attrs) == (1.0, {"x": 0.5}, {"u": 1}, {"s": 2})
    assert trial.intermediate_values == {0: 2.0} and trial.duration.total_seconds() == 3.0
    assert trial._trial_id == 7
    # nntune's own order (params third) still reads as before.
    assert FrozenTrial(1, TrialState.COMPLETE, {"x": 1}, value=2.0).params == {"x": 1}


def test_asking_one_parameter_again_on_another_scale_raises_as_in_optuna() -> None:
    # It only warned, and the value drawn on the linear scale stood for a log-scale ask.
    trial = nntune.create_study().ask()
    trial.suggest_float("lr", 1e-3, 1.0)
    with pytest.raises(ValueError, match=r"^lr: suggested with log=True after log=False in the same trial$"):
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
    fixed = FixedTrial({"units": 16})
    fixed.suggest_int("units", 8, 64, log=True)
    with pytest.raises(ValueError, match="units: suggested with log=False after log=True"):
        fixed.suggest_int("units", 8, 64)
    fixed.suggest_int("units", 8, 128, log=True)  # a changed range is still allowed


def test_a_warning_about_an_enqueued_or_grid_value_points_at_the_objectives_line() -> None:
    # It pointed one frame too far out: at nntune's own study loop, or at nothing ("sys").
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"x": 5.0})
    with pytest.warns(UserWarning, match=r"x: the enqueued value 5.0 is outside \[0, 1\]") as seen:
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert seen[0].filename == __file__
    grid = nntune.create_study(sampler=nntune.samplers.GridSampler({"x": [2.0]}))
    with pytest.warns(UserWarning, match=r"x: the grid value 2.0 is outside \[0, 1\]") as seen:
        grid.ask().suggest_float("x", 0, 1)
    assert seen[0].filename == __file__


def test_a_parameter_name_that_is_no_string_is_refused_in_one_line() -> None:
    # suggest_float(1, ...) ended in "AttributeError: 'int' object has no attribute 'encode'"
    # inside the sampler.
    trial = nntune.create_study().ask()
    with pytest.raises(TypeError, match=r"^parameter 1: a parameter's name must be a string, got int \(use '1'\)$"):
        trial.suggest_float(1, 0.0, 1.0)
    with pytest.raises(TypeError, match="a parameter's name must be a string"):
        FixedTrial({1: 0.5}).suggest_categorical(1, [0.5])
    assert trial.suggest_float("1", 0.0, 1.0) == trial.params["1"]


@pytest.mark.parametrize("state", [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED])
def test_should_prune_of_a_told_trial_is_refused_as_optunas_recording_pruners_refuse_it(state: TrialState) -> None:
    # It answered True after tell (the scheduler judged the finished trial as running) and
    # took a user's pending stop onto the finished record; Optuna's SuccessiveHalvingPruner
    # and HyperbandPruner raise UpdateFinishedTrialError there.
    study = nntune.create_study(pruner=nntune.pruners.ThresholdPruner(upper=1.0))
    trial = study.ask()
    trial.report(5.0, 0)
    assert trial.should_prune()
    study.stop_trial(trial.number)
    study.tell(trial, 5.0 if state == TrialState.COMPLETE else None, state=state)
    with pytest.raises(nntune.exceptions.UpdateFinishedTrialError,
                       match=rf"^trial 0 has already finished \({state.value}\); should_prune judges a running trial$"):
        trial.should_prune()
    told = study.trials[0]
    assert told.state == state and "stopped_by" not in told.system_attrs
    assert [c.pending for c in study.param_changes(0)] == [True]


def test_tuple_choices_are_refused_in_one_line_naming_the_parameter_and_the_way_round() -> None:
    # Optuna runs tuple choices in memory and hands back lists from a database; nntune's
    # studies always keep values as JSON, so a tuple could not come back as the tuple.
    trial = nntune.create_study().ask()
    with pytest.raises(nntune.ConfigError, match=r"^kernel\.values: choices must be numbers, strings, booleans or "
                                                 r"null, got tuple \(1, 2\); give such a choice as a string \(a name "
                                                 r"or a shape like '3x3'\) and turn it back in the objective$"):
        trial.suggest_categorical("kernel", [(1, 2), (3, 4)])
    assert trial.suggest_categorical("kernel", ["1x2", "3x4"]) in ("1x2", "3x4")


def test_frozen_trials_compare_with_every_ordering_operator_as_optunas() -> None:
    # Only < was defined: `a <= b` and `a >= b` raised TypeError, where Optuna's FrozenTrial
    # (functools.total_ordering over its number) answers all four.
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    first, second = study.trials
    assert first <= second and first <= study.trials[0] and not second <= first
    assert second >= first and second >= study.trials[1] and not first >= second
    assert second > first and not first > second
    assert max(study.trials).number == 1 and min(study.trials).number == 0


def test_a_trial_read_with_its_metric_records_equals_the_same_trial_read_without() -> None:
    # study.trials (which carries the per-step records nntune's framework callbacks report)
    # and study.get_trials() (which does not) gave unequal copies of one trial: in Optuna
    # both are the same trials, and `study.best_trial in study.get_trials()` holds.
    study = nntune.create_study()

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0, metrics={"val_loss": x})
        return x

    study.optimize(objective, n_trials=2)
    assert study.trials[0].metrics and not study.get_trials()[0].metrics
    assert study.trials == study.get_trials() == study.get_trials(deepcopy=False)
    assert study.best_trial in study.get_trials()


@pytest.mark.parametrize("changes, problem", [
    ({}, None),
    ({"state": TrialState.WAITING, "value": None, "datetime_start": None, "datetime_complete": None}, None),
    ({"state": TrialState.PRUNED, "value": None}, None),
    ({"value": None}, "values: a complete trial needs its values, got None"),
    ({"value": float("nan")}, r"values: must not be NaN, got \[nan\]"),
    ({"state": TrialState.FAIL}, r"values: a failed trial has none, got \[1.0\]"),
    ({"datetime_start": None}, "datetime_start: a complete trial has started, got None"),
    ({"datetime_complete": None}, "datetime_complete: a complete trial has ended, got None"),
    ({"state": TrialState.RUNNING, "value": None}, "datetime_complete: a running trial has not ended, got 2024"),
    ({"distributions": {}}, r"params and distributions name different parameters: \['x'\] vs \[\]"),
    ({"params": {"x": 2.0}}, "x: 2.0 is outside its distribution"),
])
def test_validate_checks_a_hand_made_trial_as_optunas_does(changes, problem) -> None:
    now = datetime.datetime(2024, 1, 1, 12, 0, 0)
    fields = {"number": 0, "state": TrialState.COMPLETE, "value": 1.0, "datetime_start": now,
              "datetime_complete": now + datetime.timedelta(seconds=3), "params": {"x": 0.5},
              "distributions": {"x": FloatDistribution(0, 1)}, "user_attrs": {}, "system_attrs": {},
              "intermediate_values": {}, "trial_id": 0}
    trial = FrozenTrial(**{**fields, **changes})
    if problem is None:
        trial._validate()
    else:
        with pytest.raises(ValueError, match=f"^{problem}"):
            trial._validate()


def test_every_trial_a_study_holds_passes_validate() -> None:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study.enqueue_trial({"x": 0.5})
    study.ask()
    for t in study.trials:
        t._validate()
