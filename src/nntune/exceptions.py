"""Exceptions an objective raises to tell the study how a trial ended."""

from __future__ import annotations


class TrialPruned(Exception):
    """Raise inside an objective when ``trial.should_prune()`` says stop (Optuna-compatible)."""


class TrialDiverged(Exception):
    """The loss became NaN or infinite; the trial is recorded as ``diverged`` at ``epoch``."""

    def __init__(self, epoch: int, message: str = "") -> None:
        self.epoch = epoch
        super().__init__(message or f"loss is not finite at epoch {epoch}")


class PruningUndefined(NotImplementedError):
    """``trial.should_prune()`` in a study of several objectives, where one value per step
    cannot rank trials. A ``NotImplementedError``, as Optuna raises there, so scripts that
    catch that keep working."""


class ConfigError(ValueError):
    """Bad user input. ``str(err)`` is one line that names the field and the problem."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)
