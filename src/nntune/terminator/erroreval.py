"""``optuna.terminator.erroreval``'s import path: the error evaluators and
:func:`report_cross_validation_scores`."""

from nntune.terminator._errors import (BaseErrorEvaluator, CrossValidationErrorEvaluator, StaticErrorEvaluator,
                                       report_cross_validation_scores)

__all__ = ["BaseErrorEvaluator", "CrossValidationErrorEvaluator", "StaticErrorEvaluator",
           "report_cross_validation_scores"]
