"""``optuna.terminator.improvement.evaluator``'s import path."""

from nntune.terminator._improvement import BaseImprovementEvaluator, BestValueStagnationEvaluator, RegretBoundEvaluator

__all__ = ["BaseImprovementEvaluator", "BestValueStagnationEvaluator", "RegretBoundEvaluator"]
