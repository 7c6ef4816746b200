"""The built-in trainer: data, models, optimizers, the training loop and metrics.

It knows nothing about search: ``fit(params, splits, report=...)`` trains one model from a
plain dict of hyperparameters and calls ``report(epoch, record)`` after every epoch.

Names load on first use, so ``import nntune.train.metrics`` (the config does) does not pay
for importing torch and torchvision.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "make_augment": "augment",
    "load_splits": "data",
    "FitResult": "loop",
    "evaluate": "loop",
    "fit": "loop",
    "Stack": "stack",
    "StackResult": "stack",
    "fit_stack": "stack_run",
    "metric_direction": "metrics",
    "build_model": "models",
    "format_summary": "models",
    "summarize": "models",
    "SealedSplit": "splits",
    "SealedSplitError": "splits",
    "Splits": "splits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nntune.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"nntune.train.{module}"), name)
    globals()[name] = value
    return value
