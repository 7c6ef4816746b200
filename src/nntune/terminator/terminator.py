"""``optuna.terminator.terminator``'s import path: :class:`Terminator` and its base."""

from nntune.terminator._terminator import BaseTerminator, Terminator

__all__ = ["BaseTerminator", "Terminator"]
