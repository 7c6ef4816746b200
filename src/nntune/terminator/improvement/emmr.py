"""``optuna.terminator.improvement.emmr``'s import path: :class:`EMMREvaluator`."""

from nntune.terminator._improvement import EMMREvaluator

__all__ = ["EMMREvaluator"]
