"""``optuna.terminator.median_erroreval``'s import path: :class:`MedianErrorEvaluator`."""

from nntune.terminator._errors import MedianErrorEvaluator

__all__ = ["MedianErrorEvaluator"]
