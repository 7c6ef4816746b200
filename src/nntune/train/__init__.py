"""The built-in trainer: data, models, optimizers, the training loop and metrics.

It knows nothing about search: ``fit(params, splits, report=...)`` trains one model from a
plain dict of hyperparameters and calls ``report(epoch, record)`` after every epoch.
"""

from __future__ import annotations

from nntune.train.augment import make_augment
from nntune.train.data import load_splits
from nntune.train.loop import FitResult, evaluate, fit
from nntune.train.metrics import metric_direction
from nntune.train.models import build_model, format_summary, summarize
from nntune.train.splits import SealedSplit, SealedSplitError, Splits

__all__ = [
    "FitResult",
    "SealedSplit",
    "SealedSplitError",
    "Splits",
    "build_model",
    "evaluate",
    "fit",
    "format_summary",
    "load_splits",
    "make_augment",
    "metric_direction",
    "summarize",
]
