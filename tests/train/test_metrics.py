"""Metrics agree with scikit-learn, regression scores come back in the target's units."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.loop import evaluate
from nntune.train.metrics import METRIC_NAMES, confusion, metric_direction, score

Y_TRUE = np.array([0, 1, 2, 2, 1, 0, 2, 1, 1, 0])
Y_PRED = np.array([0, 2, 2, 2, 1, 0, 1, 1, 0, 0])
B_TRUE = np.array([1, 0, 1, 1, 0, 0, 1, 0])
B_PRED = np.array([1, 0, 0, 1, 1, 0, 1, 0])
R_TRUE = np.array([3.0, -0.5, 2.0, 7.0, 4.2])
R_PRED = np.array([2.5, 0.0, 2.0, 8.0, 3.0])


def test_multiclass_metrics_are_macro_averaged_sklearn() -> None:
    assert score("accuracy", "classification", Y_TRUE, Y_PRED, 3) == skm.accuracy_score(Y_TRUE, Y_PRED)
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert score(name, "classification", Y_TRUE, Y_PRED, 3) == pytest.approx(fn(Y_TRUE, Y_PRED, average="macro"))
        weighted = fn(Y_TRUE, Y_PRED, average="weighted")
        assert score(f"{name}_weighted", "classification", Y_TRUE, Y_PRED, 3) == pytest.approx(weighted)


def test_two_class_metrics_are_binary() -> None:
    assert score("precision", "classification", B_TRUE, B_PRED, 2) == pytest.approx(skm.precision_score(B_TRUE, B_PRED))
    assert score("recall", "classification", B_TRUE, B_PRED, 2) == pytest.approx(skm.recall_score(B_TRUE, B_PRED))
    assert score("f1", "classification", B_TRUE, B_PRED, 2) == pytest.approx(skm.f1_score(B_TRUE, B_PRED))
    # By hand from the confusion matrix: TP 3, FP 1, FN 1 -> precision = recall = f1 = 0.75.
    assert score("f1", "classification", B_TRUE, B_PRED, 2) == pytest.approx(0.75)
    assert confusion(B_TRUE, B_PRED, 2) == [[3, 1], [1, 3]]


def test_confusion_lists_classes_never_predicted() -> None:
    assert confusion(np.array([0, 0, 1]), np.array([0, 0, 0]), 3) == [[2, 0, 0], [1, 0, 0], [0, 0, 0]]


def sklearn_classification(name: str, t: np.ndarray, p: np.ndarray, n: int) -> float:
    """The reference: scikit-learn's own function for ``name``, averaged as nntune names it."""
    import warnings

    if name == "accuracy":
        return float(skm.accuracy_score(t, p))
    if name == "balanced_accuracy":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
            return float(skm.balanced_accuracy_score(t, p))
    kind, _, average = name.partition("_")
    mode = average or ("binary" if n == 2 else "macro")
    if kind == "specificity":  # the recall of "not class k", for k = 1 (binary) or averaged over the classes seen
        ks = [1] if mode == "binary" else sorted(set(t.tolist()) | set(p.tolist()))
        return float(np.mean([skm.recall_score(t != k, p != k, zero_division=0) for k in ks]))
    fn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score,
          "fbeta": lambda *a, **k: skm.fbeta_score(*a, beta=1.0, **k)}[kind]
    # scikit-learn's default labels: the classes in the truth or the predictions.
    return float(fn(t, p, average=mode, zero_division=0))


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_every_classification_metric_equals_sklearn_on_random_labels(n_classes: int) -> None:
    rng = np.random.default_rng(n_classes)
    names = [m for m in METRIC_NAMES if metric_direction(m) == "maximize" and m != "r2"]
    for case in range(30):
        size = int(rng.integers(1, 40))
        # Some cases leave classes out of the truth or the predictions, or predict one class
        # only: the zero-denominator paths.
        t = rng.integers(0, n_classes if case % 3 else max(1, n_classes - 1), size)
        p = rng.integers(0, n_classes, size) if case % 4 else np.full(size, int(rng.integers(0, n_classes)))
        for name in names:
            expected = sklearn_classification(name, t, p, n_classes)
            assert score(name, "classification", t, p, n_classes) == pytest.approx(expected, abs=1e-12), \
                (name, t.tolist(), p.tolist())
        assert confusion(t, p, n_classes) == skm.confusion_matrix(t, p, labels=list(range(n_classes))).tolist()


def test_regression_metrics_match_sklearn() -> None:
    assert score("mae", "regression", R_TRUE, R_PRED) == pytest.approx(skm.mean_absolute_error(R_TRUE, R_PRED))
    assert score("mse", "regression", R_TRUE, R_PRED) == pytest.approx(skm.mean_squared_error(R_TRUE, R_PRED))
    assert score("rmse", "regression", R_TRUE, R_PRED) == pytest.approx(math.sqrt(skm.mean_squared_error(R_TRUE, R_PRED)))
    assert score("r2", "regression", R_TRUE, R_PRED) == pytest.approx(skm.r2_score(R_TRUE, R_PRED))


def test_directions_and_unknown_names() -> None:
    assert {metric_direction(m) for m in ("accuracy", "f1", "precision_macro", "r2")} == {"maximize"}
    assert {metric_direction(m) for m in ("mae", "mse", "rmse", "loss", "val_loss")} == {"minimize"}
    assert set(METRIC_NAMES) >= {"accuracy", "precision", "recall", "f1", "mae", "mse", "rmse", "r2"}
    with pytest.raises(ConfigError) as err:
        metric_direction("auc_pr")
    assert err.value.field == "metric"
    with pytest.raises(ConfigError, match="metric"):
        score("mae", "classification", Y_TRUE, Y_PRED, 3)


def test_evaluate_classification_returns_scores_and_confusion_matrix() -> None:
    model = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3))  # predicts the argmax of the input
    x = torch.eye(3)[torch.tensor(Y_PRED)]
    result = evaluate(model, x, torch.tensor(Y_TRUE), task_type="classification", metrics=["accuracy", "f1"], n_classes=3)
    assert result["accuracy"] == skm.accuracy_score(Y_TRUE, Y_PRED)
    assert result["f1"] == pytest.approx(skm.f1_score(Y_TRUE, Y_PRED, average="macro"))
    assert result["confusion_matrix"] == skm.confusion_matrix(Y_TRUE, Y_PRED).tolist()
    assert all(isinstance(v, int) for row in result["confusion_matrix"] for v in row)


def test_evaluate_regression_undoes_the_target_standardization() -> None:
    mean, std = 150.0, 70.0
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()  # outputs the standardized prediction it is given
    y_std = torch.tensor((R_TRUE - 3) / 2, dtype=torch.float32)
    pred_std = torch.tensor((R_PRED - 3) / 2, dtype=torch.float32)
    result = evaluate(model, pred_std[:, None], y_std, task_type="regression", metrics=["mae", "rmse", "r2"],
                      target_mean=mean, target_std=std)
    y_orig, p_orig = y_std.numpy() * std + mean, pred_std.numpy() * std + mean
    assert result["mae"] == pytest.approx(skm.mean_absolute_error(y_orig, p_orig), rel=1e-5)
    assert result["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y_orig, p_orig)), rel=1e-5)
    assert result["mae"] == pytest.approx(std * skm.mean_absolute_error(y_std.numpy(), pred_std.numpy()), rel=1e-5)


def test_fbeta_weighs_recall_and_matches_sklearn() -> None:
    for beta in (0.5, 2.0):
        got = score("fbeta", "classification", B_TRUE, B_PRED, 2, beta=beta)
        assert got == pytest.approx(skm.fbeta_score(B_TRUE, B_PRED, beta=beta))
    t, p = np.array([1, 1, 1, 1, 0, 0]), np.array([1, 1, 1, 1, 1, 1])  # recall 1, precision 2/3
    assert score("fbeta", "classification", t, p, 2, beta=2.0) > score("f1", "classification", t, p, 2)
    assert score("fbeta", "classification", t, p, 2, beta=2.0) == pytest.approx(5 * (2 / 3) / (4 * (2 / 3) + 1))


def test_positive_class_and_specificity() -> None:
    # Class 0 as positive: the binary metrics read class 0's row and column.
    assert score("recall", "classification", B_TRUE, B_PRED, 2, positive=0) == pytest.approx(
        skm.recall_score(B_TRUE, B_PRED, pos_label=0))
    assert score("precision", "classification", B_TRUE, B_PRED, 2, positive=0) == pytest.approx(
        skm.precision_score(B_TRUE, B_PRED, pos_label=0))
    # Specificity of class 1 is the recall of class 0.
    assert score("specificity", "classification", B_TRUE, B_PRED, 2) == pytest.approx(
        skm.recall_score(B_TRUE, B_PRED, pos_label=0))
    # With three classes a positive class makes it that class against the rest.
    assert score("recall", "classification", Y_TRUE, Y_PRED, 3, positive=2) == pytest.approx(
        skm.recall_score(Y_TRUE == 2, Y_PRED == 2))
    everyone = np.ones_like(B_TRUE)
    assert score("recall", "classification", B_TRUE, everyone, 2) == 1.0
    assert score("specificity", "classification", B_TRUE, everyone, 2) == 0.0


def test_two_class_labels_without_n_classes_are_binary_as_sklearn_infers() -> None:
    # n_classes left at 0 (evaluate's default): two labels are a binary task, not macro.
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert score(name, "classification", B_TRUE, B_PRED) == pytest.approx(fn(B_TRUE, B_PRED))
        only_negatives = np.zeros_like(B_TRUE)
        assert score(name, "classification", only_negatives, only_negatives) == fn(
            only_negatives, only_negatives, zero_division=0)
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
    x = torch.eye(2)[torch.tensor(B_PRED)]
    result = evaluate(model, x, torch.tensor(B_TRUE), task_type="classification", metrics=["f1", "recall"])
    assert result["f1"] == pytest.approx(skm.f1_score(B_TRUE, B_PRED))
    assert result["recall"] == pytest.approx(skm.recall_score(B_TRUE, B_PRED))


def test_a_macro_average_leaves_out_a_class_neither_true_nor_predicted() -> None:
    # Three classes; the validation split holds no class 2 and the model never predicts it.
    t, p = np.array([0, 1, 0, 1, 0]), np.array([0, 1, 1, 1, 0])
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert score(name, "classification", t, p, 3) == pytest.approx(fn(t, p, average="macro"))
        assert score(f"{name}_macro", "classification", t, p, 3) == pytest.approx(fn(t, p, average="macro"))
    # A class predicted but never true still counts, with precision 0, as in scikit-learn.
    q = np.array([0, 1, 2, 1, 0])
    assert score("precision", "classification", t, q, 3) == pytest.approx(
        skm.precision_score(t, q, average="macro", zero_division=0))


def test_binary_counts_are_scikit_learns_cells_for_the_positive_class() -> None:
    from nntune.train.metrics import binary_counts

    truth, pred = [0, 0, 1, 1, 1, 2, 2, 0], [0, 1, 1, 0, 1, 2, 1, 2]
    cm = skm.confusion_matrix(truth, pred, labels=[0, 1, 2])
    tn, fp, fn, tp = skm.confusion_matrix([t == 1 for t in truth], [p == 1 for p in pred]).ravel()
    assert binary_counts(cm, 1) == {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    tn, fp, fn, tp = skm.confusion_matrix([1, 0, 1, 1], [1, 1, 0, 1]).ravel()
    assert binary_counts(skm.confusion_matrix([1, 0, 1, 1], [1, 1, 0, 1])) == {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    with pytest.raises(ConfigError, match="positive_class"):
        binary_counts(cm, 3)
