"""One-hot labels (Keras' ``to_categorical``) in an npz file, or given to ``nntune.tune``,
are a classification's class indices, not a regression of several targets."""

from __future__ import annotations

import numpy as np
from nntune.train import load_splits


def _blobs(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 3
    return (rng.normal(size=(n, 4)) + labels[:, None]).astype(np.float32), labels


def test_one_hot_labels_are_classes(tmp_path):
    x, labels = _blobs()
    np.savez(tmp_path / "d.npz", x=x, y=np.eye(3, dtype=np.float32)[labels], classes=np.array(["a", "b", "c"]))
    splits = load_splits({"kind": "npz", "path": str(tmp_path / "d.npz")})
    assert splits.task_type == "classification" and splits.n_classes == 3
    assert splits.info["classes"] == ["a", "b", "c"]
    assert sorted(np.bincount(splits.y_train.numpy()).tolist()) == [12, 12, 12]


def test_rows_that_are_not_one_hot_stay_a_regression(tmp_path):
    x, labels = _blobs()
    y = np.eye(3, dtype=np.float32)[labels]
    y[0] = [1, 1, 0]  # two ones: several targets
    np.savez(tmp_path / "d.npz", x=x, y=y)
    assert load_splits({"kind": "npz", "path": str(tmp_path / "d.npz")}).task_type == "regression"
