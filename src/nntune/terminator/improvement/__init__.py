"""``optuna.terminator.improvement``'s import paths: the improvement evaluators."""

from nntune.terminator._improvement import (BaseImprovementEvaluator, BestValueStagnationEvaluator, EMMREvaluator,
                                            RegretBoundEvaluator)

__all__ = ["BaseImprovementEvaluator", "BestValueStagnationEvaluator", "EMMREvaluator", "RegretBoundEvaluator"]
