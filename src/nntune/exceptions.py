"""Exceptions an objective raises to tell the study how a trial ended, and the errors
nntune raises under Optuna's names (``except optuna.exceptions.DuplicatedStudyError``
keeps working after ``import nntune as optuna``)."""

from __future__ import annotations


class OptunaError(Exception):
    """The base of the errors raised by Optuna's names: ``except OptunaError`` catches them."""


class TrialPruned(OptunaError):
    """Raise inside an objective when ``trial.should_prune()`` says stop (Optuna-compatible)."""


class DuplicatedStudyError(OptunaError, ValueError):
    """``create_study`` found a study of that name already (``load_if_exists=True`` loads it)."""


class TrialStateError(OptunaError, RuntimeError):
    """A write that the trial's state forbids (e.g. reporting to a finished trial)."""


UpdateFinishedTrialError = TrialStateError  # Optuna's name for it


class FinishedTrialTellError(TrialStateError, ValueError):
    """``study.tell`` of a trial that has already finished. Optuna raises ``ValueError``
    there, so scripts catch that; it is also nntune's ``TrialStateError``."""


class StorageInternalError(OptunaError):
    """Optuna's name for a storage's own failure. nntune's storages let the database
    driver's error through instead (SQLAlchemy's, with its cause); the name is here so that
    scripts which catch it import."""


class ExperimentalWarning(Warning):
    """Optuna warns with it for experimental features; nntune has none to warn about, and
    ``warnings.filterwarnings("ignore", category=ExperimentalWarning)`` keeps working."""


class TrialDiverged(Exception):
    """The loss became NaN or infinite; the trial is recorded as ``diverged`` at ``epoch``."""

    def __init__(self, epoch: int, message: str = "") -> None:
        self.epoch = epoch
        super().__init__(message or f"loss is not finite at epoch {epoch}")


class NonFiniteOutputs(ValueError):
    """A model's outputs on a split hold NaN or infinite values, so its metrics there cannot
    be measured (scikit-learn refuses them, and an argmax over NaN logits picks a class
    that was never predicted). ``str(err)`` is one line."""


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


def caused_by_ctrl_c(err: BaseException) -> bool:
    """Whether ``err`` is a Ctrl-C, or came of one: a KeyboardInterrupt that lands while a
    C extension module initializes (a lazy ``from scipy import stats``) reaches the caller
    as ``ImportError: initialization failed``, with the interrupt as its cause."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def last_line(err: BaseException) -> str:
    """``err`` in one line: a message that carries a traceback (a worker's, a Ray actor's)
    keeps its first line, which says what failed, and its last, which says why."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else type(err).__name__
    return f"{lines[0]} ... {lines[-1]}"
