"""Scores for trained models, computed with scikit-learn.

Classification metrics take class labels. ``precision``, ``recall`` and ``f1`` are binary
(positive class 1) for two classes and macro-averaged otherwise; the ``_macro``,
``_micro`` and ``_weighted`` variants name the averaging explicitly. Regression metrics
take values in the target's own units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import sklearn
import torch
from sklearn import metrics as skm

from nntune.exceptions import ConfigError

Direction = Literal["maximize", "minimize"]
ScoreFn = Callable[[np.ndarray, np.ndarray, int], float]


def _averaged(fn: Callable[..., float], average: str | None) -> ScoreFn:
    def score(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
        mode = average or ("binary" if n_classes == 2 else "macro")
        labels = None if mode == "binary" else list(range(max(n_classes, 1)))
        return float(fn(y_true, y_pred, average=mode, labels=labels, zero_division=0))

    return score


CLASSIFICATION: dict[str, ScoreFn] = {
    "accuracy": lambda t, p, _n: float(skm.accuracy_score(t, p)),
    "balanced_accuracy": lambda t, p, _n: float(skm.balanced_accuracy_score(t, p)),
}
for _name, _fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
    CLASSIFICATION[_name] = _averaged(_fn, None)
    for _avg in ("macro", "micro", "weighted"):
        CLASSIFICATION[f"{_name}_{_avg}"] = _averaged(_fn, _avg)

REGRESSION: dict[str, ScoreFn] = {
    "mae": lambda t, p, _n: float(skm.mean_absolute_error(t, p)),
    "mse": lambda t, p, _n: float(skm.mean_squared_error(t, p)),
    "rmse": lambda t, p, _n: math.sqrt(float(skm.mean_squared_error(t, p))),
    "r2": lambda t, p, _n: float(skm.r2_score(t, p)),
}

MAXIMIZE = {*CLASSIFICATION, "r2"}
METRIC_NAMES: tuple[str, ...] = (*CLASSIFICATION, *REGRESSION)


def metric_direction(name: str) -> Direction:
    """``"maximize"`` for accuracy-like scores and r2, ``"minimize"`` for errors and losses."""
    if name in MAXIMIZE:
        return "maximize"
    if name in REGRESSION or name == "loss" or name.endswith("_loss"):
        return "minimize"
    raise ConfigError("metric", f"unknown {name!r}; choose from {', '.join(METRIC_NAMES)}")


def best_possible(name: str) -> float:
    """The value no model can beat: 1 for accuracy-like scores and r2, 0 for errors and losses."""
    return 1.0 if metric_direction(name) == "maximize" else 0.0


def check_metric(name: str, task_type: str) -> None:
    """ConfigError unless ``name`` is a metric of ``task_type``."""
    table = CLASSIFICATION if task_type == "classification" else REGRESSION
    if name not in table:
        raise ConfigError("metric", f"{name!r} is not a {task_type} metric; choose from {', '.join(table)}")


def score(name: str, task_type: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 0) -> float:
    """One metric: class labels for classification, original-unit values for regression."""
    check_metric(name, task_type)
    table = CLASSIFICATION if task_type == "classification" else REGRESSION
    # Inputs come from the trainer already well-formed; skipping sklearn's argument checks
    # keeps the per-epoch cost of scoring small.
    with sklearn.config_context(skip_parameter_validation=True):
        return table[name](y_true, y_pred, n_classes)


def scores(
    names: Sequence[str], task_type: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 0
) -> dict[str, float]:
    return {name: score(name, task_type, y_true, y_pred, n_classes) for name in names}


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> list[list[int]]:
    """Confusion matrix, rows = true class, columns = predicted class, every class listed."""
    labels = list(range(n_classes)) if n_classes else None
    return skm.confusion_matrix(y_true, y_pred, labels=labels).astype(int).tolist()


def predictions_numpy(outputs: torch.Tensor, task_type: str, target_mean: float = 0.0, target_std: float = 1.0) -> np.ndarray:
    """Model outputs as metric inputs: class labels (argmax of logits; labels pass through),
    or regression values in the target's own units."""
    if task_type == "classification":
        return (outputs.argmax(-1) if outputs.is_floating_point() else outputs).cpu().numpy()
    return (outputs.detach().float() * target_std + target_mean).cpu().numpy()


def targets_numpy(y: torch.Tensor, task_type: str, target_mean: float = 0.0, target_std: float = 1.0) -> np.ndarray:
    """Targets as metric inputs: class labels, or regression values in the target's own units."""
    if task_type == "classification":
        return y.cpu().numpy()
    return (y.float() * target_std + target_mean).cpu().numpy()
