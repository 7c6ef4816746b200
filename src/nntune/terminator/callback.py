"""``optuna.terminator.callback``'s import path: :class:`TerminatorCallback`."""

from nntune.terminator._terminator import TerminatorCallback

__all__ = ["TerminatorCallback"]
