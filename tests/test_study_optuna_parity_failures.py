"""How a trial that returned no usable value is reported, side by side with Optuna: under
``optimize`` a logged warning (Optuna's optimize logs it), under ``tell`` a Python warning
pointing at the caller's line (Optuna's tell warns)."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune import logging as nlogging
from nntune.trial import TrialState


@pytest.fixture
def propagated() -> object:
    """nntune's logger hands its records on to pytest's handler for the test."""
    nlogging.enable_propagation()
    yield
    nlogging.disable_propagation()


def test_optimize_logs_a_returned_non_number_instead_of_a_python_warning(caplog: pytest.LogCaptureFixture,
                                                                         propagated: object) -> None:
    study = nntune.create_study()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Python warning here would be raised
        with caplog.at_level("WARNING", logger="nntune.study"):
            study.optimize(lambda trial: trial.suggest_float("x", 0, 1) and None, n_trials=1)
    assert study.trials[0].state == TrialState.FAILED
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(line.startswith("Trial 0 failed with parameters: {'x': ") and "objective returned no value" in line
               for line in lines), lines
    assert "Trial 0 failed with value None." in lines


def test_optimize_failure_is_silenced_by_the_logging_level(caplog: pytest.LogCaptureFixture) -> None:
    study = nntune.create_study()
    nntune.logging.set_verbosity(nntune.logging.ERROR)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            study.optimize(lambda trial: [0.5, 0.25], n_trials=1)
    finally:
        nntune.logging.set_verbosity(nntune.logging.WARNING)
    assert study.trials[0].state == TrialState.FAILED
    assert [str(w.message) for w in caught] == []


def test_tell_warns_at_the_callers_line() -> None:
    study = nntune.create_study()
    trial = study.ask()
    with pytest.warns(UserWarning, match="trial 0 failed: objective returned 2 values for a study of 1 objective") as caught:
        study.tell(trial, [0.5, 0.25])
    assert caught[0].filename == __file__


def test_run_trial_of_an_ask_and_tell_loop_still_warns_at_the_callers_line() -> None:
    study = nntune.create_study()
    with pytest.warns(UserWarning, match="trial 0 failed: objective returned no value") as caught:
        frozen = study.run_trial(study.ask(), lambda trial: None)
    assert frozen.state == TrialState.FAILED and caught[0].filename == __file__


def test_a_finished_trial_told_again_with_skip_if_finished_warns_no_more() -> None:
    study = nntune.create_study()
    trial = study.ask()
    with pytest.warns(UserWarning):
        study.tell(trial, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert study.tell(trial, None, skip_if_finished=True).state == TrialState.FAILED


def test_a_trial_of_another_study_told_here_warns_at_the_callers_line() -> None:
    first, second = nntune.create_study(), nntune.create_study()
    trial = first.ask()
    with pytest.warns(UserWarning, match="objective returned no value") as caught:
        second.tell(trial, None)
    assert caught[0].filename == __file__ and first.trials[0].state == TrialState.FAILED


@pytest.mark.parametrize("objective", [lambda trial: trial.suggest_float("x", 0, 1) and 1 / 0,
                                       lambda trial: trial.suggest_float("x", 0, 1) and None],
                         ids=["raised", "returned None"])
def test_optimize_reports_a_failed_trial_once_as_a_warning(caplog: pytest.LogCaptureFixture, propagated: object,
                                                           objective: object) -> None:
    # Optuna's optimize logs a failure only as its warning; nntune's tell also logged an
    # INFO line for it, so with per-trial lines shown each failure came twice.
    study = nntune.create_study()
    nlogging.set_verbosity(nlogging.INFO)
    try:
        with caplog.at_level("INFO", logger="nntune.study"):
            study.optimize(objective, n_trials=1, catch=(ZeroDivisionError,))  # type: ignore[arg-type]
    finally:
        nlogging.set_verbosity(nlogging.WARNING)
    assert study.trials[0].state == TrialState.FAILED
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO" and r.getMessage().startswith("Trial")]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert infos == []
    assert len([line for line in warned if line.startswith("Trial 0 failed with parameters")]) == 1, warned


def test_a_failure_told_outside_optimize_keeps_its_info_line(caplog: pytest.LogCaptureFixture,
                                                             propagated: object) -> None:
    study = nntune.create_study()
    trial = study.ask()
    nlogging.set_verbosity(nlogging.INFO)
    try:
        with caplog.at_level("INFO", logger="nntune.study"):
            study.tell(trial, state=TrialState.FAILED)
    finally:
        nlogging.set_verbosity(nlogging.WARNING)
    assert [r.getMessage() for r in caplog.records if r.levelname == "INFO"] == ["Trial 0 failed."]
