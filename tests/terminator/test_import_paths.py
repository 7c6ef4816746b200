"""Optuna's import paths of the terminator's parts, as its examples write them."""

from __future__ import annotations

import nntune
import nntune.terminator as package


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

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        scores = [1.0 - x * x + 0.05 * k for k in (-2, -1, 0, 1, 2)]
        report_cross_validation_scores(trial, scores)
        return sum(scores) / len(scores)

    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=60, callbacks=[TerminatorCallback()])
    assert 1 < len(study.trials) < 60 and study.best_value > 0.9
