"""nntune: hyperparameter tuning for neural networks on PyTorch.

The define-by-run API follows Optuna's, so ``import nntune as optuna`` is often all an
existing script needs: its submodules (``trial``, ``study``, ``samplers``, ``pruners``,
``distributions``, ``storages``, ``artifacts``, ``visualization``, ``importance``,
``logging``, ``exceptions``) carry Optuna's names.
"""

from __future__ import annotations

import importlib
from typing import Any

from nntune import distributions, exceptions, logging, pruners, samplers, schedulers, search_space, trial
from nntune._trial import Trial
from nntune.exceptions import ConfigError, TrialDiverged, TrialPruned
from nntune.space import Beta, Choice, Float, Int, Space
from nntune.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from nntune.trial import FrozenTrial, TrialState, create_trial

__version__ = "0.1.0"

# Imported on first use: plotting and scikit-learn are slow to import.
_LAZY = ("artifacts", "importance", "storages", "visualization")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"nntune.{name}")
    raise AttributeError(f"module 'nntune' has no attribute {name!r}")


__all__ = [
    "Beta",
    "Choice",
    "ConfigError",
    "Float",
    "FrozenTrial",
    "Int",
    "Space",
    "Study",
    "Trial",
    "TrialDiverged",
    "TrialPruned",
    "TrialState",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "schedulers",
    "search_space",
    "trial",
]
