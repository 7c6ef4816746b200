"""``nntune.train.fit`` on a user's own ``Splits``, ``evaluate`` scored as scikit-learn
scores the same predictions, and the study's plots showing the study's own numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import nntune
import nntune.visualization as vis
from nntune.train import SealedSplit, Splits, evaluate, fit


def _splits() -> Splits:
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.3, random_state=0, stratify=y_train)
    scale = StandardScaler().fit(x_train)

    def xs(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(scale.transform(a), dtype=torch.float32)

    return Splits(xs(x_train), torch.tensor(y_train), xs(x_val), torch.tensor(y_val),
                  SealedSplit(xs(x_test), torch.tensor(y_test)), "classification", n_classes=2)


def test_fit_and_evaluate_agree_with_scikit_learn():
    splits = _splits()
    result = fit({"epochs": 3, "optimizer": "adam", "lr": 1e-3}, splits, metric="f1")
    names = ["accuracy", "f1", "precision", "recall", "specificity", "balanced_accuracy"]
    scored = evaluate(result.model, splits.x_val, splits.y_val, task_type="classification", metrics=names,
                      n_classes=2)
    result.model.eval()
    with torch.no_grad():
        predicted = result.model(splits.x_val).argmax(1).numpy()
    truth = splits.y_val.numpy()
    assert scored["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert scored["f1"] == pytest.approx(skm.f1_score(truth, predicted))
    assert scored["precision"] == pytest.approx(skm.precision_score(truth, predicted))
    assert scored["recall"] == pytest.approx(skm.recall_score(truth, predicted))
    assert scored["specificity"] == pytest.approx(skm.recall_score(truth, predicted, pos_label=0))
    assert scored["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(truth, predicted))
    assert scored["confusion_matrix"] == skm.confusion_matrix(truth, predicted).tolist()
    assert result.history[-1]["value"] == pytest.approx(scored["f1"])


def test_the_history_plot_shows_each_value_and_the_best_so_far():
    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: -(t.suggest_float("x", -2, 2) ** 2), n_trials=8)
    fig = vis.plot_optimization_history(study)
    values = next(tr for tr in fig.data if tr.name == "Objective Value")  # named as Optuna names them
    best = next(tr for tr in fig.data if tr.name == "Best Value")
    assert list(values.y) == [t.value for t in study.trials]
    running = np.maximum.accumulate([t.value for t in study.trials])
    assert [running[int(x)] for x in best.x] == list(best.y) and best.y[-1] == study.best_value
    frame = study.trials_dataframe()
    assert frame["value"].tolist() == [t.value for t in study.trials]
    assert frame["params_x"].tolist() == [t.params["x"] for t in study.trials]
