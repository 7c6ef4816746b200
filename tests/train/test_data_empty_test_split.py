"""A data set's own test split that holds no row (an npz file's empty ``x_test``, a CIFAR
``test_batch`` of no image) is refused when the data is read: the search would run to its
end, and the look at the test split fail on nothing to score."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from nntune.exceptions import ConfigError
from nntune.train import load_splits


def test_an_npz_files_empty_test_split_is_refused_naming_x_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] > 0).astype(int), x_test=np.zeros((0, 3)), y_test=np.zeros(0, int))
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "npz", "path": str(tmp_path / "d.npz")})
    assert str(caught.value) == "task.data.x_test: holds no rows in d.npz"


def test_test_rows_all_dropped_for_their_gaps_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    gaps = x[:5].copy()
    gaps[:, 0] = np.nan
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] > 0).astype(int), x_test=gaps, y_test=np.zeros(5, int))
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "npz", "path": str(tmp_path / "d.npz"), "missing": "drop"})
    assert str(caught.value) == "task.data.x_test: holds no rows in d.npz left by missing: drop"


def test_an_empty_cifar_test_batch_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    batch = {b"data": rng.integers(0, 256, (20, 3072), dtype=np.uint8), b"labels": [i % 2 for i in range(20)]}
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps(batch))
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((0, 3072), np.uint8), b"labels": []}))
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "cifar10", "path": str(tmp_path)})
    assert caught.value.field == "task.data.path"
    assert caught.value.problem == (f"the test split of CIFAR-10 batches in {tmp_path} holds no samples; give test "
                                    "rows or none (the test split is then cut from the rest)")
