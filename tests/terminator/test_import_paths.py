"""Optuna's import paths of the terminator's parts, as its examples write them."""

from __future__ import annotations

import nntune
import nntune.terminator as package
from nntune.terminator._errors import CV_SCORES_KEY
from nntune.terminator._terminator import STUDY_ATTR


def test_optunas_submodule_paths_give_the_packages_own_classes() -> None:
    from nntune.terminator.callback import TerminatorCallback
    from nntune.terminator.erroreval import (BaseErrorEvaluator, CrossValidationErrorEvaluator,
                                             StaticErrorEvaluator, report_cross_validation_scores)
    from nntune.terminator.improvement.emmr import EMMREvaluator
    from nntune.terminator.improvement.evaluator import (BaseImprovementEvaluator, BestValueStagnationEvaluator,
                                                         RegretBoundEvaluator)
    from nntune.terminator.median_erroreval import MedianErrorEvaluator
    from nntune.terminator.terminator import BaseTerminator, Terminator

    for obj in (TerminatorCallback, BaseErrorEvaluator, CrossValidationErrorEvaluator, StaticErrorEvaluator,
                report_cross_validation_scores, EMMREvaluator, BaseImprovementEvaluator,
                BestValueStagnationEvaluator, RegretBoundEvaluator, MedianErrorEvaluator, BaseTerminator,
                Terminator):
        assert getattr(package, obj.__name__) is obj


def test_optunas_terminator_example_runs_from_those_paths() -> None:
    # Optuna's terminator_simple.py, its cross-validation scores made up: the callback
    # reads each trial's reported scores and stops the search once they say nothing more.
    from nntune.terminator.callback import TerminatorCallback
    from nntune.terminator.erroreval import report_cross_validation_scores
    from nntune.terminator.terminator import Terminator

    def scores_of(x: float) -> list[float]:
        return [1.0 - x * x + 0.05 * k for k in (-2, -1, 0, 1, 2)]

    def objective(trial: nntune.Trial) -> float:
        scores = scores_of(trial.suggest_float("x", -1.0, 1.0))
        report_cross_validation_scores(trial, scores)
        return sum(scores) / len(scores)

    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=60, callbacks=[TerminatorCallback()])
    trials = study.trials
    assert len(trials) < 60  # stopped by the callback, not by n_trials
    assert all(t.system_attrs[CV_SCORES_KEY] == scores_of(t.params["x"]) for t in trials)
    reading = study.storage.load_study(study.study_name).attrs[STUDY_ATTR]  # the last check, kept with the study
    assert reading["terminate"] is True and reading["trial"] == trials[-1].number

    # It stopped after the first trial at which the terminator, reading the study so far, says stop.
    def stops_after(k: int) -> bool:
        prefix = nntune.create_study(direction="maximize")
        prefix.add_trials(trials[:k])
        return Terminator().should_terminate(prefix)

    assert stops_after(len(trials)) and not any(stops_after(k) for k in range(20, len(trials)))
