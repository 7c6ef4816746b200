"""Whole `nntune tune` journeys checked against scikit-learn: the reported test figures,
the split sizes and the one look at the test split agree with what the saved model does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn import datasets
from sklearn import metrics as skm
from sklearn.model_selection import train_test_split

import nntune
from nntune.runner_summary import TuneSummary


def _split(y: np.ndarray, seed: int, stratify: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 60/20/20 split cut as the README says: test first, then validation, stratified, seeded."""
    seeds = [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, size=3)]
    n = len(y)
    rest, test = train_test_split(np.arange(n), test_size=round(0.2 * n), stratify=y if stratify else None,
                                  random_state=seeds[0])
    train, val = train_test_split(rest, test_size=round(0.2 * n), stratify=y[rest] if stratify else None,
                                  random_state=seeds[1])
    return train, val, test


def _tune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task: dict, space: dict) -> TuneSummary:
    monkeypatch.chdir(tmp_path)
    return nntune.tune({"study": "j", "storage": f"sqlite:///{tmp_path / 'j.db'}", "task": task,
                        "search": {"sampler": "random", "trials": 2, "seed": 0}, "space": space,
                        "fixed": {"epochs": 2, "optimizer": "adam"}}, report=False)


def test_breast_cancer_figures_match_scikit_learn_on_the_saved_model(tmp_path, monkeypatch):
    summary = _tune(tmp_path, monkeypatch, {"data": "breast_cancer", "metric": "f1"},
                    {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}})
    x, y = datasets.load_breast_cancer(return_X_y=True)
    y = 1 - y  # malignant is class 1, the positive class of the binary scores
    train, val, test = _split(y, 0, stratify=True)
    model = nntune.load_model(summary.model_path)
    assert model.classes == ["benign", "malignant"]
    with torch.no_grad():
        pred = model(torch.as_tensor(x[test], dtype=torch.float32)).argmax(1).numpy()
        val_pred = model(torch.as_tensor(x[val], dtype=torch.float32)).argmax(1).numpy()
    got = summary.test.metrics
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y[test], pred))
    assert got["precision"] == pytest.approx(skm.precision_score(y[test], pred, zero_division=0))
    assert got["recall"] == pytest.approx(skm.recall_score(y[test], pred, zero_division=0))
    assert got["f1"] == pytest.approx(skm.f1_score(y[test], pred, zero_division=0))
    assert got["specificity"] == pytest.approx(skm.recall_score(1 - y[test], 1 - pred, zero_division=0))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y[test], pred))
    assert got["confusion_matrix"] == skm.confusion_matrix(y[test], pred, labels=[0, 1]).tolist()
    # the best trial's value is the saved model's validation f1
    assert summary.best.value == pytest.approx(skm.f1_score(y[val], val_pred, zero_division=0))
    assert summary.to_json()["test_evaluations"] == 1
    assert sum(summary.counts[s] for s in ("complete", "pruned", "failed", "diverged")) == 2


def test_diabetes_figures_are_in_the_targets_units(tmp_path, monkeypatch):
    summary = _tune(tmp_path, monkeypatch, {"data": "diabetes", "metric": "rmse", "direction": "minimize"},
                    {"lr": {"type": "float", "low": 1e-2, "high": 5e-2, "log": True}})
    x, y = datasets.load_diabetes(return_X_y=True, scaled=False)
    _, val, test = _split(y, 0, stratify=False)
    model = nntune.load_model(summary.model_path)
    with torch.no_grad():
        pred = model(torch.as_tensor(x[test], dtype=torch.float32)).numpy().reshape(-1)
        val_pred = model(torch.as_tensor(x[val], dtype=torch.float32)).numpy().reshape(-1)
    got = summary.test.metrics
    assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(y[test], pred), rel=1e-4)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y[test], pred), rel=1e-4)
    assert got["r2"] == pytest.approx(skm.r2_score(y[test], pred), rel=1e-3, abs=1e-4)
    assert got["rmse"] > 10  # disease progression units (25..346), not standardized ones
    assert summary.best.value == pytest.approx(skm.root_mean_squared_error(y[val], val_pred), rel=1e-4)
