"""Scores for trained models.

Classification metrics take class labels. ``precision``, ``recall``, ``f1``, ``fbeta`` and
``specificity`` are binary for two classes (``n_classes`` 2, or, when it is 0, labels no
larger than 1, as scikit-learn infers it; positive class 1 unless ``positive`` names
another) and for any number of classes when ``positive`` is given (that class against the
rest), and macro-averaged otherwise; ``fbeta`` weighs recall ``beta`` times as much as
precision (F1 is beta = 1); the ``_macro``, ``_micro`` and ``_weighted`` variants name the
averaging explicitly. A macro average is over the classes that occur in the truth or the
predictions, as scikit-learn's default labels: a class the validation split lacks and the
model never predicts has no precision or recall to count. A ratio with a zero denominator
counts as 0, as scikit-learn's ``zero_division=0``. They are read off one
confusion matrix (a ``bincount``): the trainer scores the validation split every epoch,
and scikit-learn's functions, which check and re-encode their labels on every call, took
3-7 ms per epoch there, as long as a whole epoch of a small model. The tests hold every
one of them equal to scikit-learn's. Regression metrics take values in the target's own
units and are scikit-learn's (averaged uniformly over the columns of a (N, k) target), but
``rmse`` is the square root of ``mse`` over all of them, as Keras's RootMeanSquaredError:
scikit-learn's ``root_mean_squared_error`` averages each column's root instead.

``loss`` (KerasTuner's ``val_loss``) is a metric of either task that no prediction scores:
it is the loss the trainer already computes each epoch (:data:`LOSS`), minimized.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from nntune.exceptions import ConfigError

if TYPE_CHECKING:
    import torch

Direction = Literal["maximize", "minimize"]
ScoreFn = Callable[..., float]  # (y_true, y_pred, n_classes, *, positive=None, beta=1.0) -> score


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class, for classes 0 .. n-1 (more if
    a label is larger)."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    k = max(n_classes, int(t.max(initial=-1)) + 1, int(p.max(initial=-1)) + 1, 1)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, 0 where den is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _per_class(cm: np.ndarray, kind: str, beta: float = 1.0) -> np.ndarray:
    tp = np.diag(cm)
    if kind == "precision":
        return _ratio(tp, cm.sum(axis=0))
    if kind == "recall":
        return _ratio(tp, cm.sum(axis=1))
    if kind == "specificity":  # tn / (tn + fp): the negatives recognized as negative
        negatives = cm.sum() - cm.sum(axis=1)
        return _ratio(negatives - (cm.sum(axis=0) - tp), negatives)
    b2 = beta * beta  # fbeta = (1 + b2) tp / ((1 + b2) tp + b2 fn + fp); f1 is b = 1
    if b2 > 1:  # divided through by b2: a beta whose square is inf gives recall (scikit-learn's beta=inf), not NaN
        return _ratio((1 + 1 / b2) * tp, cm.sum(axis=1) + cm.sum(axis=0) / b2)
    return _ratio((1 + b2) * tp, b2 * cm.sum(axis=1) + cm.sum(axis=0))


def _averaged(kind: str, average: str | None) -> ScoreFn:
    def score(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, *, positive: int | None = None,
              beta: float = 1.0) -> float:
        cm = confusion_matrix(y_true, y_pred, n_classes)
        # n_classes 0 (not given) counts the labels seen, as scikit-learn does: two or fewer
        # are a binary task, scored for class 1 and not macro-averaged.
        mode = average or ("binary" if (n_classes or len(cm)) <= 2 or positive is not None else "macro")
        pos = 1 if positive is None else int(positive)
        if mode == "binary" and len(cm) <= pos:
            # A positive class no label reaches still has its row and column (zeros): every
            # sample is a true negative of it, so its specificity is 1, not 0.
            cm = confusion_matrix(y_true, y_pred, pos + 1)
        values = _per_class(cm, "fbeta" if kind == "f1" else kind, 1.0 if kind == "f1" else beta)
        if mode == "binary":
            return float(values[pos])
        if mode == "micro":  # pooled counts: tp over predictions (precision) or truths (recall)
            tp, total = np.trace(cm), cm.sum()
            return float(_ratio(tp, total)) if kind != "f1" else float(_ratio(2 * tp, 2 * total))
        if mode == "macro":  # over the classes in the truth or the predictions, as scikit-learn's labels
            seen = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
            return float(values[seen].mean()) if seen.any() else 0.0
        support = cm.sum(axis=1)
        return float(_ratio((values * support).sum(), support.sum()))

    return score


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, **_: Any) -> float:
    cm = confusion_matrix(y_true, y_pred, n_classes)
    return float(_ratio(np.trace(cm), cm.sum()))


def _balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, **_: Any) -> float:
    """The mean recall over the classes that occur in ``y_true``."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    support = cm.sum(axis=1)
    present = support > 0
    return float((np.diag(cm)[present] / support[present]).mean()) if present.any() else 0.0


CLASSIFICATION: dict[str, ScoreFn] = {"accuracy": _accuracy, "balanced_accuracy": _balanced_accuracy}
for _name in ("precision", "recall", "f1"):
    CLASSIFICATION[_name] = _averaged(_name, None)
    for _avg in ("macro", "micro", "weighted"):
        CLASSIFICATION[f"{_name}_{_avg}"] = _averaged(_name, _avg)
CLASSIFICATION["fbeta"] = _averaged("fbeta", None)
CLASSIFICATION["specificity"] = _averaged("specificity", None)

def _sklearn(name: str) -> ScoreFn:
    """scikit-learn's regression metric ``name``, imported on its first use: a config names
    metrics (and is checked against these names) in processes that never score one, where
    importing scikit-learn took a second or two of every command's start."""
    def score(t: np.ndarray, p: np.ndarray, _n: int) -> float:
        from sklearn import metrics as skm

        return float(getattr(skm, name)(t, p))
    return score


_mse = _sklearn("mean_squared_error")
REGRESSION: dict[str, ScoreFn] = {
    "mae": _sklearn("mean_absolute_error"),
    "mse": _mse,
    "rmse": lambda t, p, _n: math.sqrt(_mse(t, p, _n)),
    "r2": _sklearn("r2_score"),
}

# The data loss the model trains on (cross-entropy, mse, mae or huber, as ``loss`` says),
# as the trainer measures it each epoch: ``val_loss`` on the validation split in eval mode,
# without the L1 penalty or weight decay. A metric of either task, scored by no function here.
LOSS = "loss"
MAXIMIZE = {*CLASSIFICATION, "r2"}
METRIC_NAMES: tuple[str, ...] = (*CLASSIFICATION, *REGRESSION, LOSS)


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
    if task_type not in ("classification", "regression"):  # else its metrics would be called the wrong ones
        raise ConfigError("task_type", f"unknown {task_type!r}; choose from classification, regression")
    table = CLASSIFICATION if task_type == "classification" else REGRESSION
    if name not in table and name != LOSS:
        raise ConfigError("metric", f"{name!r} is not a {task_type} metric; choose from {', '.join([*table, LOSS])}")


def score(name: str, task_type: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 0, *,
          positive: int | None = None, beta: float = 1.0) -> float:
    """One metric: class labels for classification, original-unit values for regression.
    ``positive`` and ``beta`` are the binary metrics' positive class and fbeta's beta."""
    check_metric(name, task_type)
    if name == LOSS:  # the loss needs the model's raw outputs and its loss function, not labels
        raise ConfigError("task.metric", "loss is measured on a model's raw outputs with its loss function, not "
                                         "scored from predicted labels or values")
    if task_type == "classification":
        return CLASSIFICATION[name](y_true, y_pred, n_classes, positive=positive, beta=beta)
    # Inputs come from the trainer already well-formed; skipping sklearn's argument checks
    # keeps the per-epoch cost of scoring small.
    import sklearn

    with sklearn.config_context(skip_parameter_validation=True):
        return REGRESSION[name](y_true, y_pred, n_classes)


def scores(
    names: Sequence[str], task_type: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 0, *,
    positive: int | None = None, beta: float = 1.0,
) -> dict[str, float]:
    return {name: score(name, task_type, y_true, y_pred, n_classes, positive=positive, beta=beta) for name in names}


def metric_options(info: Mapping[str, Any]) -> dict[str, Any]:
    """The positive class and beta a task's splits carry (``Splits.info``), as keywords of
    :func:`scores`."""
    positive = info.get("positive_class")
    return {"positive": None if positive is None else int(positive), "beta": float(info.get("beta", 1.0))}


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> list[list[int]]:
    """Confusion matrix, rows = true class, columns = predicted class, every class listed."""
    return confusion_matrix(y_true, y_pred, n_classes).astype(int).tolist()


def binary_counts(matrix: Sequence[Sequence[int]], positive: int | None = None) -> dict[str, int]:
    """The four cells of note 004's table for the positive class (1 unless ``positive``
    names another; with more classes, that class against the rest): ``tp`` (true
    positives), ``fp`` (false positives: Type I errors), ``fn`` (false negatives: Type II
    errors) and ``tn`` (true negatives), read off a confusion matrix (rows: true class)."""
    cm = np.asarray(matrix, dtype=np.int64)
    pos = 1 if positive is None else int(positive)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or not 0 <= pos < len(cm):
        raise ConfigError("task.positive_class", f"class {pos} is not a class of a {len(cm)}-class confusion matrix")
    tp = int(cm[pos, pos])
    fp, fn = int(cm[:, pos].sum()) - tp, int(cm[pos, :].sum()) - tp
    return {"tp": tp, "fp": fp, "fn": fn, "tn": int(cm.sum()) - tp - fp - fn}


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
