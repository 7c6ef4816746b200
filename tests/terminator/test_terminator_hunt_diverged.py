"""Trials that returned inf (complete, as in Optuna) or diverged (a NaN, a loss gone to inf
or nan) are trials the best value did not move in: the stagnation rule counts them all."""

from __future__ import annotations

import pytest

import nntune
from nntune.terminator import BestValueStagnationEvaluator, Terminator, TerminatorCallback
from nntune.trial import TrialState


def _study(values):
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1.0, log=True) * 0 + values[t.number], n_trials=len(values))
    return study


def test_diverged_trials_after_the_best_count_as_stagnant() -> None:
    study = _study([3.0, 2.0, 1.0] + [float("inf")] * 6 + [float("nan")] * 4)
    states = [t.state for t in study.trials]
    assert (states.count(TrialState.COMPLETE), states.count(TrialState.DIVERGED)) == (9, 4)
    assert BestValueStagnationEvaluator(5).evaluate(study.trials, study.direction) == -5.0


def test_a_diverged_first_trial_is_never_the_best() -> None:
    study = _study([float("inf"), 3.0, 2.0, 1.0, 1.0])
    assert BestValueStagnationEvaluator(5).evaluate(study.trials, study.direction) == 4.0


def test_a_search_whose_trials_diverge_stops_after_the_stagnation() -> None:
    values = [2.0, 1.0] + [float("inf")] * 20
    study = nntune.create_study()
    stop = TerminatorCallback(Terminator(BestValueStagnationEvaluator(3), min_n_trials=2))
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1.0, log=True) * 0 + values[t.number], n_trials=len(values),
                   callbacks=[stop])
    assert len(study.trials) == 6  # the best at trial 1, then 4 trials of inf: one more than 3


def test_trials_that_all_returned_inf_are_read_as_optunas_are() -> None:
    # Optuna reads 5 - 2: the best is the first trial, and two more never beat it.
    assert BestValueStagnationEvaluator(5).evaluate(_study([float("inf")] * 3).trials, "minimize") == 3.0


def test_no_complete_trial_is_still_an_error() -> None:
    study = _study([float("nan")] * 3)
    with pytest.raises(ValueError, match="no trial has completed yet"):
        BestValueStagnationEvaluator(5).evaluate(study.trials, study.direction)
