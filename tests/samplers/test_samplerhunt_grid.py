"""Samplers that run out (a grid, brute force) as Optuna's: what a finished grid still runs,
Optuna's ``is_exhausted(study)``, and a grid's values checked against the range asked now."""

from __future__ import annotations

import logging
import warnings

import nntune as optuna


def _x(trial: optuna.Trial) -> float:
    return float(trial.suggest_int("x", 0, 1))


def test_a_trial_enqueued_after_the_grid_is_done_still_runs() -> None:
    # Optuna's optimize runs the enqueued trial, then stops; it used to wait for ever while
    # optimize returned at once.
    study = optuna.create_study(sampler=optuna.samplers.GridSampler({"x": [0, 1]}, seed=0))
    study.optimize(_x)
    study.enqueue_trial({"x": 1})
    study.optimize(_x, n_trials=5)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 3
    assert study.trials[-1].params == {"x": 1}


def test_a_trial_enqueued_after_brute_force_is_done_still_runs() -> None:
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    study.optimize(_x)
    study.enqueue_trial({"x": 0})
    study.optimize(_x, n_trials=5)
    assert len(study.trials) == 3 and study.trials[-1].params == {"x": 0}
    assert study.trials[-1].state == optuna.trial.TrialState.COMPLETE


def test_grid_is_exhausted_takes_the_study_as_optunas() -> None:
    sampler = optuna.samplers.GridSampler({"x": [0, 1]}, seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_x, n_trials=1)
    assert sampler.is_exhausted(study) is False
    study.optimize(_x, n_trials=1)
    assert sampler.is_exhausted(study) is True
    study.enqueue_trial({"x": 1})  # Optuna's answer is about the grid's points only
    assert sampler.is_exhausted(study) is True


def test_a_widened_range_gets_no_warning_for_a_grid_value_inside_it() -> None:
    # Earlier trials asked x in [0, 5]; the objective now asks [0, 20], where 10 and 11 are
    # inside: Optuna says nothing. The value was checked against the old range.
    study = optuna.create_study(sampler=optuna.samplers.GridSampler({"x": [0, 1]}, seed=0))
    study.optimize(lambda t: t.suggest_int("x", 0, 5))
    study.sampler = optuna.samplers.GridSampler({"x": [10, 11]}, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.optimize(lambda t: t.suggest_int("x", 0, 20))
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 10, 11]


def test_a_grid_value_off_the_asked_range_still_warns() -> None:
    study = optuna.create_study(sampler=optuna.samplers.GridSampler({"x": [0, 9]}, seed=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(lambda t: t.suggest_int("x", 0, 5))
    assert sorted(t.params["x"] for t in study.trials) == [0, 9]
    assert [str(w.message) for w in caught if "outside" in str(w.message)] == ["x: the grid value 9 is outside [0, 5]"]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_asking_past_a_done_grid_says_a_point_is_re_evaluated() -> None:
    # Ask-and-tell has no optimize to stop: Optuna's grid logs that it repeats a point.
    handler = _Lines()
    optuna.logging.get_logger("optuna").addHandler(handler)
    try:
        study = optuna.create_study(sampler=optuna.samplers.GridSampler({"x": [0, 1]}, seed=0))
        for _ in range(3):
            trial = study.ask()
            study.tell(trial, _x(trial))
    finally:
        optuna.logging.get_logger("optuna").removeHandler(handler)
    assert len(study.trials) == 3 and {t.params["x"] for t in study.trials} == {0, 1}
    assert [line for line in handler.lines if "re-evaluating" in line] == [
        "GridSampler is re-evaluating a configuration because the grid has been exhausted "
        "(trial 2 takes a point already tried)"]


def test_a_grid_value_off_the_range_under_partial_fixing_is_used_with_a_warning() -> None:
    # The point's 9 is outside the range the earlier trials asked: the base grid hands it
    # over when asked by name, with Optuna's warning, rather than failing the trial.
    base = optuna.samplers.GridSampler({"x": [0, 9, 2.5]}, seed=0)
    study = optuna.create_study(sampler=optuna.samplers.PartialFixedSampler({"y": 0}, base))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(lambda t: t.suggest_int("x", 0, 5) + t.suggest_int("y", 0, 1))
    assert sorted(t.params["x"] for t in study.trials) == [0, 2, 9]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert {str(w.message) for w in caught} == {"x: the grid value 9 is outside [0, 5]",
                                                 "x: the grid value 2.5 is not an integer; 2 is used"}
