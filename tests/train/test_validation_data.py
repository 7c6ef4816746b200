"""A validation split of the data set's own (an npz file's ``x_val``/``y_val``): validation is
exactly those rows, training all of ``x``, ``y`` but the test cut."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.model_selection import train_test_split

from nntune.config_data import data_digest
from nntune.exceptions import ConfigError
from nntune.train import load_splits
from nntune.train.split_check import SplitDistributionWarning


def save(path: Path, **arrays: np.ndarray) -> dict:
    np.savez(path, **arrays)
    return {"kind": "npz", "path": str(path)}


def iris_parts() -> tuple[np.ndarray, ...]:
    """Iris shuffled, 30 rows (10 of each class) the validation split."""
    x, y = load_iris(return_X_y=True)
    x, x_val, y, y_val = train_test_split(x, y, test_size=30, stratify=y, random_state=0)
    return x, y, x_val, y_val


def rows(a: np.ndarray) -> np.ndarray:
    """The rows of ``a`` in a fixed order, to compare two splits as sets of rows."""
    a = np.asarray(a, dtype=np.float32).reshape(len(a), -1)
    return a[np.lexsort(a.T[::-1])]


def test_validation_is_the_given_rows_and_training_all_of_x_with_a_test_split_of_its_own(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    spec = save(tmp_path / "d.npz", x=x[:100], y=y[:100], x_test=x[100:], y_test=y[100:], x_val=x_val, y_val=y_val)
    splits = load_splits(spec, normalize="none", seed=3)
    np.testing.assert_array_equal(splits.x_val.numpy(), x_val.astype(np.float32))  # same rows, same order
    np.testing.assert_array_equal(splits.y_val.numpy(), y_val)
    np.testing.assert_array_equal(rows(splits.x_train.numpy()), rows(x[:100]))
    assert splits.info["own_val_split"] and splits.info["n_val"] == 30 and splits.info["n_train"] == 100
    assert len(splits.test) == 20


def test_without_a_test_split_training_is_x_but_the_same_test_cut(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    given = load_splits(save(tmp_path / "v.npz", x=x, y=y, x_val=x_val, y_val=y_val), normalize="none", seed=3)
    cut = load_splits(save(tmp_path / "c.npz", x=x, y=y), normalize="none", seed=3)
    test_x, _ = given.test.open("comparing the test cuts in a test")
    assert len(given.test) == 24 and len(given.y_train) == 96 and len(given.y_val) == 30
    np.testing.assert_array_equal(test_x.numpy(), cut.test.open("comparing the test cuts in a test")[0].numpy())
    np.testing.assert_array_equal(rows(np.concatenate([given.x_train.numpy(), test_x.numpy()])), rows(x))


def test_normalization_comes_from_the_training_split_only(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    x_val = x_val + 5.0  # a shifted validation split must not move the statistics
    with pytest.warns(SplitDistributionWarning, match="val feature_mean_z"):  # the split check still runs
        splits = load_splits(save(tmp_path / "d.npz", x=x[:100], y=y[:100], x_test=x[100:], y_test=y[100:],
                                  x_val=x_val, y_val=y_val))
    mean, std = x[:100].mean(axis=0), x[:100].std(axis=0)
    np.testing.assert_allclose(splits.info["normalization"]["shift"], mean, rtol=1e-5)
    np.testing.assert_allclose(splits.x_val.numpy(), (x_val - mean) / std, rtol=1e-4, atol=1e-5)


def test_a_regression_target_is_standardized_by_the_training_rows(tmp_path: Path) -> None:
    x, y = load_diabetes(return_X_y=True)
    spec = save(tmp_path / "r.npz", x=x[:300], y=y[:300], x_test=x[300:380], y_test=y[300:380],
                x_val=x[380:], y_val=y[380:])
    splits = load_splits(spec)
    assert splits.target_mean == pytest.approx(y[:300].mean(), rel=1e-5)
    np.testing.assert_allclose(splits.y_val.numpy() * splits.target_std + splits.target_mean, y[380:], rtol=1e-4)


def test_image_arrays_and_text_labels(tmp_path: Path) -> None:
    x, y = load_digits(return_X_y=True)
    pixels = (x * 16).astype(np.uint8).reshape(-1, 8, 8)
    names = np.array([f"d{d}" for d in range(10)])
    spec = save(tmp_path / "i.npz", x=pixels[:1000], y=names[y[:1000]], x_val=pixels[1000:1200],
                y_val=names[y[1000:1200]])
    splits = load_splits(spec, normalize="none")
    assert tuple(splits.x_val.shape) == (200, 1, 8, 8) and splits.info["classes"] == list(names)
    np.testing.assert_array_equal(splits.y_val.numpy(), y[1000:1200])


def test_the_data_digest_covers_the_validation_rows(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    one = load_splits(save(tmp_path / "a.npz", x=x, y=y, x_val=x_val, y_val=y_val))
    moved = x_val.copy()
    moved[0, 0] += 0.1
    other = load_splits(save(tmp_path / "b.npz", x=x, y=y, x_val=moved, y_val=y_val))
    assert data_digest(one) == data_digest(load_splits(save(tmp_path / "c.npz", x=x, y=y, x_val=x_val, y_val=y_val)))
    assert data_digest(one) != data_digest(other)


@pytest.mark.parametrize(("change", "field", "problem"), [
    ({"y_val": None}, "task.data.y_val", "needs both 'x_val' and 'y_val' in d.npz"),
    ({"x_val": None}, "task.data.x_val", "needs both 'x_val' and 'y_val' in d.npz"),
    ({"x_val": np.zeros((30, 3))}, "task.data.x_val", "shape (30, 3) does not match (120, 4)"),
    ({"y_val": np.zeros(29, dtype=int)}, "task.data.y_val", "29 targets for the 30 rows of 'x_val'"),
    ({"y_val": np.zeros((30, 2))}, "task.data.y_val", "targets of shape (30, 2) do not match (120,)"),
    ({"x_val": np.zeros((0, 4)), "y_val": np.zeros(0, dtype=int)}, "task.data.x_val", "holds no rows in d.npz"),
    ({"y_val": np.full(30, 7)}, "task.data.y_val", "holds the class 7 in d.npz, which y does not have"),
    ({"y_val": np.array(["setosa"] * 30)}, "task.data.y_val", "holds the class 'setosa' in d.npz"),
])
def test_bad_validation_arrays_are_refused_in_one_line(tmp_path: Path, change: dict, field: str,
                                                        problem: str) -> None:
    x, y, x_val, y_val = iris_parts()
    arrays = {"x": x, "y": y, "x_val": x_val, "y_val": y_val, **change}
    spec = save(tmp_path / "d.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(ConfigError) as err:
        load_splits(spec)
    assert err.value.field == field and problem in err.value.problem and "\n" not in str(err.value)


def test_named_classes_may_be_validated_on_without_training_rows(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    keep = y != 2  # no training row of the third class, which the class names still name
    spec = save(tmp_path / "n.npz", x=x[keep], y=y[keep], x_val=x_val, y_val=y_val,
                classes=np.array(["setosa", "versicolor", "virginica"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SplitDistributionWarning)
        splits = load_splits(spec)
    assert splits.n_classes == 3 and set(splits.y_val.tolist()) == {0, 1, 2}


def test_two_ratios_still_need_a_test_split(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    with pytest.raises(ConfigError, match="^task.split: this data set has no test split of its own"):
        load_splits(save(tmp_path / "d.npz", x=x, y=y, x_val=x_val, y_val=y_val), split=(0.8, 0.2))


def test_missing_drop_drops_validation_rows_too(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    x_val = x_val.copy()
    x_val[:4, 1] = np.nan
    splits = load_splits({**save(tmp_path / "d.npz", x=x, y=y, x_val=x_val, y_val=y_val), "missing": "drop"})
    assert len(splits.y_val) == 26 and splits.info["missing"]["dropped_rows"] == 4


def test_missing_values_of_validation_rows_are_filled_with_training_statistics(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    x_val = x_val.copy()
    x_val[:3, 2] = np.nan
    splits = load_splits({**save(tmp_path / "d.npz", x=x[:100], y=y[:100], x_test=x[100:], y_test=y[100:],
                                 x_val=x_val, y_val=y_val), "missing": "mean"}, normalize="none")
    assert splits.info["missing"]["filled_rows"] == {"train": 0, "val": 3}
    np.testing.assert_allclose(splits.x_val[:3, 2].numpy(), x[:100, 2].mean(), rtol=1e-5)


def test_one_hot_validation_labels(tmp_path: Path) -> None:
    x, y, x_val, y_val = iris_parts()
    splits = load_splits(save(tmp_path / "h.npz", x=x, y=np.eye(3)[y], x_val=x_val, y_val=np.eye(3)[y_val]))
    np.testing.assert_array_equal(splits.y_val.numpy(), y_val)
