"""A notebook's journey: ``nntune.tune`` on a bundled data set, then the saved model scored
with scikit-learn on the same sealed test split gives the summary's test numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import datasets
from sklearn import metrics as skm

import nntune
from nntune.train.splits import split_indices


def _tuned(tmp_path, name: str, task: dict) -> tuple[object, nntune.model_file.TunedModel]:
    summary = nntune.tune({"study": name, "storage": f"sqlite:///{tmp_path / 'j.db'}", "task": {"data": name, **task}},
                          set={"search.trials": 2, "fixed.epochs": 3}, report=False)
    return summary, nntune.load_model(summary.model_path)


@pytest.mark.parametrize("name", ["wine", "breast_cancer"])
def test_the_test_metrics_are_scikit_learns_on_the_test_rows(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    summary, model = _tuned(tmp_path, name, {})
    bunch = getattr(datasets, f"load_{name}")()
    y = 1 - bunch.target if name == "breast_cancer" else bunch.target  # nntune: malignant is class 1
    _, _, test, _ = split_indices(y, [0.6, 0.2, 0.2], 0, stratify=True)
    names = summary.test.metrics["classes"]
    truth = [names[i] for i in y[test]]
    predicted = model.predict(torch.tensor(bunch.data[test], dtype=torch.float32))
    average = "binary" if len(names) == 2 else "macro"
    positive = {"pos_label": names[1]} if average == "binary" else {}
    m = summary.test.metrics
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert m["f1"] == pytest.approx(skm.f1_score(truth, predicted, average=average, **positive))
    assert m["precision"] == pytest.approx(skm.precision_score(truth, predicted, average=average, **positive))
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(truth, predicted))
    assert m["confusion_matrix"] == skm.confusion_matrix(truth, predicted, labels=names).tolist()
    assert summary.to_json()["test"]["accuracy"] == m["accuracy"] == model.meta["test"]["accuracy"]


def test_a_regressions_test_errors_are_in_the_targets_units(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary, model = _tuned(tmp_path, "diabetes", {"metric": "rmse", "direction": "minimize"})
    x, y = datasets.load_diabetes(return_X_y=True, scaled=False)
    _, _, test, _ = split_indices(y, [0.6, 0.2, 0.2], 0, stratify=False)
    predicted = np.asarray(model.predict(x[test].astype(np.float32)), dtype=float)
    m = summary.test.metrics
    assert m["rmse"] == pytest.approx(skm.mean_squared_error(y[test], predicted) ** 0.5, rel=1e-5)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y[test], predicted), rel=1e-5)
    assert m["r2"] == pytest.approx(skm.r2_score(y[test], predicted), rel=1e-4)
