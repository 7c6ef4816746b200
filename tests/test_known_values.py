"""The rule for a value known before a trial asks for it (FixedTrial, enqueued, re-run)."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune._known_values import known_value
from nntune.space import Float


def test_an_integer_parameter_given_a_fraction_warns_and_takes_the_integer_part() -> None:
    trial = nntune.trial.FixedTrial({"n": 3.5})
    with pytest.warns(UserWarning, match=r"n: the given value 3.5 is not an integer; 3 is used"):
        assert trial.suggest_int("n", 0, 10) == 3


@pytest.mark.parametrize(("given", "ask"), [
    ({"x": 0.33}, lambda t: t.suggest_float("x", 0, 1, step=0.1)),
    ({"x": 7}, lambda t: t.suggest_int("x", 0, 10, step=2)),
])
def test_a_value_off_the_step_grid_warns_as_in_optuna(given, ask) -> None:
    with pytest.warns(UserWarning, match=r"x: the given value .* is off the grid 0, .* of step"):
        assert ask(nntune.trial.FixedTrial(given)) == given["x"]


def test_values_on_the_grid_pass_silently() -> None:
    trial = nntune.trial.FixedTrial({"x": 0.3, "n": 10, "m": 4.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trial.suggest_float("x", 0, 1, step=0.1) == 0.3
        assert trial.suggest_int("n", 0, 10, step=2) == 10
        assert trial.suggest_int("m", 0, 10, step=2) == 4


def test_a_number_written_as_a_string_is_read_without_a_false_warning() -> None:
    trial = nntune.trial.FixedTrial({"x": "1", "bad": "abc"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trial.suggest_float("x", 0, 2) == 1.0
    with pytest.raises(ValueError, match=r"bad: the given value 'abc' is not a number"):
        trial.suggest_float("bad", 0, 1)


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_a_known_value_that_is_no_number_is_a_one_line_error_naming_the_parameter(value) -> None:
    with pytest.raises(ValueError, match=r"^x: the enqueued value .* is not a number$"):
        known_value("x", Float(0.0, 1.0), value, "enqueued")
    study = nntune.create_study()
    study.enqueue_trial({"x": value})
    trial = study.ask()
    with pytest.raises(ValueError, match="x: the enqueued value"):
        trial.suggest_float("x", 0.0, 1.0)


@pytest.mark.parametrize(("value", "ask"), [
    (float("nan"), lambda t: t.suggest_float("x", 0.0, 1.0)),
    (float("nan"), lambda t: t.suggest_int("x", 0, 10)),
    (float("inf"), lambda t: t.suggest_int("x", 0, 10)),
    (float("-inf"), lambda t: t.suggest_int("x", 0, 10, log=False, step=2)),
    ("nan", lambda t: t.suggest_float("x", 0.0, 1.0)),
])
def test_nan_or_an_infinite_integer_is_refused_naming_the_parameter_and_not_stored(value, ask) -> None:
    # As Optuna's distributions refuse NaN: the objective would have trained with it (a
    # float), or suggest_int ended in a bare "cannot convert float NaN to integer".
    message = r"^x: the enqueued value .* is not a number this parameter can take$"
    study = nntune.create_study()
    study.enqueue_trial({"x": value})
    with pytest.raises(ValueError, match=message):
        study.optimize(ask, n_trials=1)
    (trial,) = study.trials
    assert trial.state.name == "FAIL" and trial.params == {}
    with pytest.raises(ValueError, match=message.replace("enqueued", "given")):
        ask(nntune.trial.FixedTrial({"x": value}))


def test_an_infinite_float_is_still_taken_with_a_warning_as_in_optuna() -> None:
    with pytest.warns(UserWarning, match=r"x: the given value inf is not a finite number in \[0, 1\]"):
        assert nntune.trial.FixedTrial({"x": float("inf")}).suggest_float("x", 0.0, 1.0) == float("inf")
