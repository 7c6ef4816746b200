"""Splits made from numpy arrays as they come (float64, int64 labels) train as float32 ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from nntune.train.loop import evaluate, fit
from nntune.train.splits import SealedSplit, Splits

Params = Callable[..., dict[str, Any]]


def as_float64(splits: Splits) -> Splits:
    x_test, y_test = splits.test.open("copied for this test")
    return Splits(splits.x_train.double(), splits.y_train.int(), splits.x_val.double(), splits.y_val,
                  SealedSplit(x_test.double(), y_test), splits.task_type, n_classes=splits.n_classes)


def test_float64_features_train_and_evaluate_as_float32(digits: Splits, fast: Params) -> None:
    wide = as_float64(digits)
    run = fit(fast(), wide)
    same = fit(fast(), digits)
    assert [r["val_loss"] for r in run.history] == [r["val_loss"] for r in same.history]
    scored = evaluate(run.model, wide.x_val, wide.y_val, task_type="classification", metrics=["accuracy"],
                      n_classes=10)
    assert scored["accuracy"] == run.history[-1]["val_accuracy"]
    assert next(run.model.parameters()).dtype == torch.float32


def test_float64_regression_features_and_targets(diabetes: Splits, fast: Params) -> None:
    wide = Splits(diabetes.x_train.double(), diabetes.y_train.double(), diabetes.x_val.double(),
                  diabetes.y_val.double(), diabetes.test, "regression", target_mean=diabetes.target_mean,
                  target_std=diabetes.target_std)
    run = fit(fast(), wide, metric="rmse")
    assert run.history[-1]["val_rmse"] == fit(fast(), diabetes, metric="rmse").history[-1]["val_rmse"]
