"""nntune's log messages and their verbosity, with Optuna's names.

A study logs one line per finished trial at ``INFO``. nntune starts at ``WARNING`` (its
command line prints its own tables), so ``nntune.logging.set_verbosity(nntune.logging.INFO)``
shows Optuna's per-trial lines and ``WARNING`` hides them again. The levels are the
standard library's.
"""

from __future__ import annotations

import logging as _std

CRITICAL = _std.CRITICAL
FATAL = _std.FATAL
ERROR = _std.ERROR
WARNING = _std.WARNING
WARN = _std.WARN
INFO = _std.INFO
DEBUG = _std.DEBUG

_ROOT = "nntune"
_handler: _std.Handler | None = None


def get_logger(name: str) -> _std.Logger:
    """The logger of an nntune module (under the ``nntune`` logger, whose level this sets).
    ``"optuna"`` is the library's own logger, as it is in an Optuna script
    (``get_logger("optuna").addHandler(...)`` receives every trial's line), and
    ``"optuna.x"`` is ``"nntune.x"``."""
    _configure()
    if name == "optuna" or name.startswith("optuna."):
        name = _ROOT + name[len("optuna"):]
    return _std.getLogger(name if name == _ROOT or name.startswith(_ROOT + ".") else f"{_ROOT}.{name}")


def _configure() -> None:
    global _handler
    if _handler is None:
        _handler = _std.StreamHandler()
        _handler.setFormatter(_std.Formatter("[nntune %(levelname)s %(asctime)s] %(message)s"))
        root = _std.getLogger(_ROOT)
        root.addHandler(_handler)
        root.setLevel(WARNING)
        root.propagate = False


def set_verbosity(verbosity: int) -> None:
    """Show messages at ``verbosity`` and above (e.g. ``WARNING`` hides each trial's line)."""
    _configure()
    _std.getLogger(_ROOT).setLevel(verbosity)


def get_verbosity() -> int:
    _configure()
    return _std.getLogger(_ROOT).getEffectiveLevel()


def disable_default_handler() -> None:
    _configure()
    assert _handler is not None
    _std.getLogger(_ROOT).removeHandler(_handler)


def enable_default_handler() -> None:
    _configure()
    assert _handler is not None
    _std.getLogger(_ROOT).addHandler(_handler)


def disable_propagation() -> None:
    _configure()
    _std.getLogger(_ROOT).propagate = False


def enable_propagation() -> None:
    _configure()
    _std.getLogger(_ROOT).propagate = True


__all__ = ["CRITICAL", "DEBUG", "ERROR", "FATAL", "INFO", "WARN", "WARNING", "disable_default_handler",
           "disable_propagation", "enable_default_handler", "enable_propagation", "get_logger", "get_verbosity",
           "set_verbosity"]
