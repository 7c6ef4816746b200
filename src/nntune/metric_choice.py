"""Choosing the metric (note 004): accuracy misleads on imbalanced data, recall alone can
be won by predicting the positive class everywhere.

The notes' example: when 1% of patients have a rare disease, a model that says "healthy"
to everyone is 99% accurate and finds no patient. On such data, optimize recall (the share
of positives found), precision (the share of alarms that are right), or a balance of the
two (F1, or F-beta to weigh recall more), and choose which class is positive. Recall in
turn is 1.0 for a model that calls everyone positive, so a study maximizing recall should
check that its best model does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

RARE_SHARE = 0.20  # the smallest class under this share of the samples makes accuracy misleading
ALL_POSITIVE_SHARE = 0.95  # a model predicting the positive class for this share of samples or more
ACCURACY_METRICS = ("accuracy",)
RECALL_METRICS = ("recall", "recall_macro", "recall_micro", "recall_weighted")


def class_shares(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Each class's share of the labels ``y``."""
    counts = np.bincount(np.asarray(y, dtype=np.int64).ravel(), minlength=max(1, n_classes))
    return counts / max(1, counts.sum())


def imbalance_warning(metric: str, y: np.ndarray, n_classes: int,
                      classes: Sequence[Any] = ()) -> str | None:
    """A one-line warning when ``metric`` is accuracy and the smallest class of ``y`` holds
    under RARE_SHARE of the samples and under half its share in balanced data (1 / classes,
    so ten balanced classes of 10% each do not warn); None otherwise. ``classes``: the
    data's own names of the class indices, shown beside the index."""
    if metric not in ACCURACY_METRICS or n_classes < 2:
        return None
    shares = class_shares(y, n_classes)
    rare = int(np.argmin(shares))
    if shares[rare] >= min(RARE_SHARE, 0.5 / n_classes):
        return None
    named = f" ({classes[rare]})" if rare < len(classes) and str(classes[rare]) != str(rare) else ""
    return (f"class {rare}{named} is only {shares[rare]:.0%} of the training samples, and accuracy rewards "
            f"ignoring it: "
            f"where 1% of patients have a rare disease, calling everyone healthy is 99% accurate and finds no one. "
            f"Consider task.metric recall, precision, f1 or fbeta (with task.positive_class {rare} and task.beta), "
            f"or balanced_accuracy")


def positive_share(confusion: Sequence[Sequence[int]], positive: int) -> float:
    """The share of samples a model predicted as class ``positive`` (confusion matrix rows:
    true class, columns: predicted class)."""
    cm = np.asarray(confusion, dtype=float)
    total = cm.sum()
    return float(cm[:, positive].sum() / total) if total > 0 and positive < cm.shape[1] else 0.0


def all_positive_finding(metric: str, confusion: Sequence[Sequence[int]], positive: int | None, *,
                         model: str = "the best model") -> str | None:
    """A finding when a study maximizing recall ends with a best model (or ``model``: a
    trial of a Pareto front) that predicts the positive class for nearly every sample
    (ALL_POSITIVE_SHARE or more); None otherwise."""
    if metric not in RECALL_METRICS or not confusion:
        return None
    pos = 1 if positive is None else int(positive)
    share = positive_share(confusion, pos)
    if share < ALL_POSITIVE_SHARE:
        return None
    cm = np.asarray(confusion, dtype=float)
    truly = float(cm[pos].sum() / cm.sum())
    return (f"{model} predicts class {pos} for {share:.0%} of the test samples (only {truly:.0%} are): "
            f"its recall is high because it calls nearly everything positive. Optimize f1 or fbeta "
            f"(task.beta above 1 still favours recall), or watch precision and specificity beside recall")
