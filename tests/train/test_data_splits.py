"""Splits stay stratified by every class that can be, whatever the rarest class holds."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from nntune.train import load_splits
from nntune.train.data import split_indices
from nntune.train.split_check import SplitDistributionWarning


def test_one_sample_of_a_class_does_not_cost_the_others_their_stratification(tmp_path: Path) -> None:
    labels = ["a"] * 50 + ["b"] * 49 + ["c"]  # "c": one row, a typo or a rare case
    rows = "".join(f"{i % 7},{label}\n" for i, label in enumerate(labels))
    (tmp_path / "t.csv").write_text("x,y\n" + rows)
    for seed in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("error", SplitDistributionWarning)  # rows repeat: DuplicateRowsWarning is due
            splits = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"}, seed=seed)
        assert splits.info["stratified"]
        for y in (splits.y_val, splits.test.open("test")[1]):
            counts = np.bincount(y.numpy(), minlength=3)
            assert abs(int(counts[0]) - int(counts[1])) <= 1, counts  # 10 and 10 of the 20, give or take the "c"


def test_several_rare_classes_are_stratified_together() -> None:
    y = np.array([0] * 40 + [1] * 40 + [2, 3, 4, 5])
    train, val, test, stratified = split_indices(y, (0.5, 0.25, 0.25), seed=0, stratify=True)
    assert stratified
    for part in (val, test):
        assert np.bincount(y[part], minlength=2)[:2].tolist() in ([10, 10], [10, 11], [11, 10])
