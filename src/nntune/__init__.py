"""nntune: hyperparameter tuning for neural networks on PyTorch.

The define-by-run API follows Optuna's, so ``import nntune as optuna`` is often all an
existing script needs: its submodules (``trial``, ``study``, ``samplers``, ``pruners``,
``distributions``, ``storages``, ``artifacts``, ``visualization``, ``importance``, ``terminator``,
``logging``, ``exceptions``, ``version``) carry Optuna's names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nntune.version import __version__

# Names load on first use: ``nntune --help`` and other commands that train nothing do not
# pay for importing scipy, SQLAlchemy or torch.
_EXPORTS = {
    "samplers": None,
    "schedulers": None,
    "Trial": "_trial",
    "ConfigError": "exceptions",
    "TrialDiverged": "exceptions",
    "TrialPruned": "exceptions",
    "Beta": "space",
    "Choice": "space",
    "Float": "space",
    "Int": "space",
    "Space": "space",
    "Study": "study",
    "create_study": "study",
    "load_study": "study",
    "copy_study": "study",
    "delete_study": "study",
    "get_all_study_names": "study",
    "get_all_study_summaries": "study",
    "create_trial": "trial",
    "FrozenTrial": "trial",
    "TrialState": "trial",
    "load_model": "model_file",
    "tune": "tuning",
}

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
    "load_model",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "schedulers",
    "search_space",
    "trial",
    "tune",
]

if TYPE_CHECKING:
    from nntune import samplers, schedulers
    from nntune._trial import Trial
    from nntune.exceptions import ConfigError, TrialDiverged, TrialPruned
    from nntune.space import Beta, Choice, Float, Int, Space
    from nntune import distributions, exceptions, logging, pruners, search_space, trial
    from nntune.study import (
        Study,
        copy_study,
        create_study,
        delete_study,
        get_all_study_names,
        get_all_study_summaries,
        load_study,
    )
    from nntune.model_file import load_model
    from nntune.tuning import tune
    from nntune.trial import FrozenTrial, TrialState, create_trial


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:  # a submodule, as ``nntune.exceptions.TrialPruned``
        try:
            return importlib.import_module(f"nntune.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"nntune.{name}":
                raise
            raise AttributeError(f"module 'nntune' has no attribute {name!r}") from None
    module = _EXPORTS[name]
    value = importlib.import_module(f"nntune.{name if module is None else module}")
    if module is not None:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
