"""nntune: hyperparameter tuning for neural networks on PyTorch.

The define-by-run API follows Optuna's common subset, so ``import nntune as optuna`` is
often all an existing objective needs.
"""

from __future__ import annotations

from nntune import samplers, schedulers
from nntune._trial import Trial
from nntune.exceptions import ConfigError, TrialDiverged, TrialPruned
from nntune.space import Beta, Choice, Float, Int, Space
from nntune.study import Study, create_study, load_study
from nntune.trial import FrozenTrial, TrialState

__version__ = "0.1.0"

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
    "create_study",
    "load_study",
    "samplers",
    "schedulers",
]
