"""Edge cases of the metrics against scikit-learn: an unbounded fbeta beta, a positive class
no label reaches, the positive class and beta on any number of classes, and (N, k) targets."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from nntune.train.metrics import CLASSIFICATION, score

T = np.array([1, 1, 1, 0, 0, 1, 0, 1])
P = np.array([1, 0, 0, 0, 1, 1, 0, 1])  # recall 3/5, precision 3/4: every beta gives another fbeta


@pytest.mark.parametrize("beta", [math.inf, 1e200])
def test_fbeta_with_an_unbounded_beta_is_recall_as_sklearn(beta: float) -> None:
    # beta**2 overflows to inf: the score must tend to recall, not become NaN (a trial
    # scored NaN ends as diverged, so `task.beta: .inf` turned every trial into one).
    got = score("fbeta", "classification", T, P, 2, beta=beta)
    assert got == pytest.approx(skm.fbeta_score(T, P, beta=math.inf)) and got == pytest.approx(0.6)
    t3, p3 = np.array([0, 1, 2, 2, 1, 0, 2]), np.array([0, 2, 2, 1, 1, 0, 2])
    assert score("fbeta", "classification", t3, p3, 3, beta=beta) == pytest.approx(
        skm.fbeta_score(t3, p3, beta=math.inf, average="macro"))
    assert score("fbeta", "classification", T, P, 2, beta=2.0) == pytest.approx(skm.fbeta_score(T, P, beta=2.0))


def test_specificity_of_a_positive_class_no_label_reaches_is_one() -> None:
    # Without n_classes, labels all 0: class 1 has no sample and no prediction, so every
    # sample is one of its true negatives (TN/(TN+FP) = 1), as sklearn's recall of "not 1".
    t, p = np.array([0, 0, 0]), np.array([0, 0, 0])
    assert score("specificity", "classification", t, p) == skm.recall_score(t != 1, p != 1) == 1.0
    t, p = np.array([0, 0, 1]), np.array([1, 1, 1])
    assert score("specificity", "classification", t, p, positive=2) == skm.recall_score(t != 2, p != 2) == 1.0
    # The ratios that have no denominator stay 0, as sklearn's zero_division=0.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Precision is ill-defined ..."
        for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
            assert score(name, "classification", t, p, positive=2) == fn(t == 2, p == 2, zero_division=0) == 0.0


def _reference(name: str, t: np.ndarray, p: np.ndarray, n: int, positive: int | None, beta: float) -> float:
    """scikit-learn's score for ``name`` with nntune's positive class, beta and averaging."""
    if name == "accuracy":
        return float(skm.accuracy_score(t, p))
    if name == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(t, p))
    kind, _, average = name.partition("_")
    seen = sorted(set(t.tolist()) | set(p.tolist()))
    mode = average or ("binary" if (n or max(seen) + 1) <= 2 or positive is not None else "macro")
    pos = 1 if positive is None else positive
    if kind == "specificity":  # the recall of "not k"
        ks = [pos] if mode == "binary" else seen
        return float(np.mean([skm.recall_score(t != k, p != k, zero_division=0) for k in ks]))
    b = beta if kind == "fbeta" else 1.0
    fn = {"precision": skm.precision_score, "recall": skm.recall_score}.get(
        kind, lambda *a, **k: skm.fbeta_score(*a, beta=b, **k))
    if mode == "binary":
        return float(fn(t == pos, p == pos, zero_division=0))
    return float(fn(t, p, average=mode, zero_division=0))


def test_every_classification_metric_with_a_positive_class_and_beta_equals_sklearn() -> None:
    rng = np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's ill-defined and single-label warnings
        for case in range(60):
            n = int(rng.choice([0, 2, 3, 5]))  # 0: the classes are the labels seen
            k = n or int(rng.integers(1, 5))
            size = int(rng.integers(1, 20))
            t = rng.integers(0, max(1, k - (case % 3 == 0)), size)
            p = rng.integers(0, k, size) if case % 4 else np.full(size, int(rng.integers(0, k)))
            positive = None if case % 2 else int(rng.integers(0, k))
            beta = float(rng.choice([0.5, 1.0, 2.0, math.inf]))
            for name in CLASSIFICATION:
                got = score(name, "classification", t, p, n, positive=positive, beta=beta)
                assert got == pytest.approx(_reference(name, t, p, n, positive, beta), abs=1e-12), \
                    (name, n, positive, beta, t.tolist(), p.tolist())


def test_regression_metrics_of_several_target_columns() -> None:
    t = np.array([[1.0, 100.0], [2.0, 300.0], [3.0, 200.0], [4.0, 500.0]])
    p = np.array([[1.5, 120.0], [2.0, 250.0], [2.0, 260.0], [5.0, 430.0]])
    assert score("mae", "regression", t, p) == pytest.approx(skm.mean_absolute_error(t, p))
    assert score("mse", "regression", t, p) == pytest.approx(skm.mean_squared_error(t, p))
    assert score("r2", "regression", t, p) == pytest.approx(skm.r2_score(t, p))
    # rmse pools the columns (Keras's RootMeanSquaredError), as the module says, so it stays
    # the square root of the mse shown beside it; scikit-learn averages each column's root.
    assert score("rmse", "regression", t, p) == pytest.approx(math.sqrt(skm.mean_squared_error(t, p)))
    assert score("rmse", "regression", t, p) != pytest.approx(skm.root_mean_squared_error(t, p))
