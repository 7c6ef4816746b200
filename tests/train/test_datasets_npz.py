"""Arrays saved with numpy as a data set (``kind: npz``), on small generated files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from nntune.exceptions import ConfigError
from nntune.train import load_splits


def save(path: Path, **arrays: np.ndarray) -> dict:
    np.savez(path, **arrays)
    return {"kind": "npz", "path": str(path)}


def test_a_table_with_text_labels_and_its_own_test_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x, x_test = rng.normal(size=(120, 5)), rng.normal(size=(30, 5))
    y = np.array(["cat", "dog", "eel"])[np.arange(120) % 3]
    spec = save(tmp_path / "t.npz", x=x, y=y, x_test=x_test, y_test=np.array(["eel", "cat", "dog"] * 10),
                feature_names=np.array(list("abcde")))
    splits = load_splits(spec, seed=0)
    assert splits.task_type == "classification" and splits.info["classes"] == ["cat", "dog", "eel"]
    assert splits.info["own_test_split"] and len(splits.test) == 30
    assert splits.info["feature_names"] == list("abcde") and splits.info["modality"] == "tabular"
    assert len(splits.y_train) + len(splits.y_val) == 120


@pytest.mark.parametrize("shape", [(40, 6, 6), (40, 1, 6, 6), (40, 6, 6, 1), (40, 3, 6, 6), (40, 6, 6, 3)])
def test_images_in_every_layout_become_nchw_pixels_in_0_1(tmp_path: Path, shape: tuple[int, ...]) -> None:
    pixels = np.full(shape, 255, dtype=np.uint8)
    spec = save(tmp_path / "i.npz", x=pixels, y=np.arange(40) % 2)
    splits = load_splits(spec, seed=0, normalize="none")
    channels = 3 if 3 in shape[1:] else 1
    assert tuple(splits.x_train.shape[1:]) == (channels, 6, 6) and splits.info["modality"] == "image"
    assert float(splits.x_train.max()) == 1.0  # uint8 scaled to [0, 1]


def test_a_regression_with_named_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 3))
    spec = {**save(tmp_path / "r.npz", features=x, target=x @ [1.0, 2.0, 3.0] + 0.5), "x": "features", "y": "target"}
    splits = load_splits(spec, seed=0)
    assert splits.task_type == "regression" and splits.n_classes == 0 and splits.target_std > 1.0
    forced = load_splits({**save(tmp_path / "c.npz", x=x, y=np.arange(100) % 4 + 0.0), "task": "regression"})
    assert forced.task_type == "regression"


@pytest.mark.parametrize("arrays, spec, field, says", [
    ({"x": np.zeros((4, 2))}, {}, "task.data.y", "has no array 'y'; it has ['x']"),
    ({"x": np.zeros((4, 2)), "y": np.zeros(3)}, {}, "task.data.y", "3 targets for 4 inputs"),
    ({"x": np.array([[1.0, np.nan]] * 4), "y": np.zeros(4)}, {}, "task.data.x", "missing or infinite values"),
    ({"x": np.zeros((4, 2, 2, 2, 2)), "y": np.zeros(4)}, {}, "task.data.x", "must be (N, features) or images"),
    ({"x": np.zeros((4, 5, 5, 5)), "y": np.zeros(4)}, {}, "task.data.x", "no channel axis of 1, 3 or 4"),
    ({"x": np.zeros((4, 2)), "y": np.zeros(4), "x_test": np.zeros((2, 2))}, {}, "task.data.x_test", "needs both"),
    ({"x": np.zeros((4, 2)), "y": np.zeros(4)}, {"task": "clustering"}, "task.data.task", "must be classification"),
    ({"x": np.zeros((4, 2)), "y": np.arange(4) % 2}, {"classes": ["one"]}, "task.data.classes", "1 names for 2"),
    ({"x": np.zeros((4, 2)), "y": np.array(1)}, {}, "task.data.y", "'y' in b.npz is one value"),
    ({"x": np.zeros((4, 2)), "y": np.array(list("abab"))}, {"task": "regression"}, "task.data.task",
     "a regression needs numbers, but 'y' holds <U1"),
    ({"x": np.zeros((4, 2)), "y": np.arange(4) * 1.5, "x_test": np.zeros((2, 2)), "y_test": np.array([1, np.nan])},
     {"task": "regression"}, "task.data.y_test", "has missing or infinite targets"),
    ({"x": np.zeros((4, 2)), "y": np.zeros((4, 2)), "x_test": np.zeros((2, 2)), "y_test": np.zeros(2)},
     {"task": "regression"}, "task.data.y_test", "targets of shape (2,) do not match (4, 2)"),
    ({"x": np.zeros((20, 2)), "y": np.full(20, 7)}, {}, "task.data", "b has one class only ('7') to train on"),
    ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, {}, "task.data", "b holds no samples"),
    ({"x": np.zeros((20, 0)), "y": np.arange(20) % 2}, {}, "task.data.x", "holds no value in a row: shape (20, 0)"),
    ({"x": np.zeros((20, 6, 0)), "y": np.arange(20) % 2}, {}, "task.data.x", "holds no value in a row"),
    ({"x": np.zeros((20, 2)), "y": np.arange(20) % 2, "x_val": np.zeros((4, 0)), "y_val": np.arange(4) % 2}, {},
     "task.data.x_val", "holds no value in a row: shape (4, 0)"),
])
def test_bad_files_are_one_line_naming_the_field(tmp_path: Path, arrays: dict, spec: dict, field: str,
                                                  says: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{field}: .*{re.escape(says)}"):
        load_splits({**save(tmp_path / "b.npz", **arrays), **spec})


def test_a_file_that_would_unpickle_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    (tmp_path / "text.npz").write_text("not numpy")
    for name in ("o.npz", "text.npz"):
        with pytest.raises(ConfigError, match=rf"^task.data.path: cannot read {name} as a numpy .npz file"):
            load_splits({"kind": "npz", "path": str(tmp_path / name)})


def test_a_regression_of_two_targets_is_reported_in_their_own_units(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 3))
    y = np.stack([x @ [1.0, 2.0, 3.0] + 100.0, x[:, 0] * 10.0], axis=1)
    splits = load_splits(save(tmp_path / "r2.npz", x=x, y=y), seed=0)
    assert splits.task_type == "regression" and tuple(splits.y_train.shape) == (60, 2)
    train = splits.y_train.numpy() * splits.target_std + splits.target_mean
    assert np.isclose(splits.target_mean, train.mean()) and np.isclose(splits.target_std, train.std())
    assert all(np.isclose(y, row, atol=1e-3).all(axis=1).any() for row in train)  # rows of y, as stored


def test_class_names_follow_integer_labels_even_when_a_class_has_no_sample(tmp_path: Path) -> None:
    x = np.random.default_rng(3).normal(size=(90, 2))
    y = np.array([0, 1, 3] * 30)  # no sample of class 2
    spec = save(tmp_path / "g.npz", x=x, y=y, classes=np.array(["zero", "one", "two", "three"]))
    splits = load_splits(spec, seed=0)
    assert splits.info["classes"] == ["zero", "one", "two", "three"] and splits.n_classes == 4
    names = [splits.info["classes"][i] for i in splits.y_train.tolist()]
    assert set(names) == {"zero", "one", "three"}
    ranked = load_splits(save(tmp_path / "r.npz", x=x, y=y + 5, classes=np.array(["a", "b", "c"])), seed=0)
    assert ranked.info["classes"] == ["a", "b", "c"] and set(ranked.y_train.tolist()) == {0, 1, 2}
    # the same labels held as floats (y.astype(float), a pandas column that had a gap) are the same classes
    floats = load_splits(save(tmp_path / "f.npz", x=x, y=y.astype(float).reshape(-1, 1)), seed=0)
    assert floats.info["classes"] == ["0", "1", "3"]
    named = save(tmp_path / "n.npz", x=x, y=y.astype(float), classes=np.array(["zero", "one", "two", "three"]))
    assert load_splits(named, seed=0).info["classes"] == ["zero", "one", "two", "three"]


def test_a_column_of_integer_labels_is_a_classification(tmp_path: Path) -> None:
    """Keras' datasets give labels as (N, 1): one class label each, not a regression target."""
    rng = np.random.default_rng(0)
    y = (np.arange(60) % 3).reshape(-1, 1).astype(np.uint8)
    splits = load_splits(save(tmp_path / "k.npz", x=rng.normal(size=(60, 4)), y=y), seed=0)
    assert splits.task_type == "classification" and splits.info["classes"] == ["0", "1", "2"]
    assert splits.y_train.dim() == 1
    wide = save(tmp_path / "w.npz", x=rng.normal(size=(60, 4)), y=rng.normal(size=(60, 2)))
    assert load_splits(wide, seed=0).task_type == "regression"  # two targets per input stay a regression


def test_feature_names_must_name_every_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    spec = save(tmp_path / "f.npz", x=rng.normal(size=(60, 4)), y=np.arange(60) % 2,
                feature_names=np.array(["a", "b"]))
    with pytest.raises(ConfigError, match=re.escape("task.data.path: f.npz: feature_names holds 2 names for 'x' "
                                                    "of 4 columns")):
        load_splits(spec, seed=0)


def test_class_names_are_a_list(tmp_path: Path) -> None:
    spec = save(tmp_path / "c.npz", x=np.zeros((40, 2)), y=np.arange(40) % 3)
    with pytest.raises(ConfigError, match=re.escape("task.data.classes: give a list of class names, got 'abc'")):
        load_splits({**spec, "classes": "abc"}, seed=0)
    assert load_splits({**spec, "classes": ["a", "b", "c"]}, seed=0).info["classes"] == ["a", "b", "c"]


def test_sixteen_bit_images_are_pixels_in_0_1(tmp_path: Path) -> None:
    """As an image folder's 16-bit PNGs are: colour changes and padding of augmentation act
    on pixels in [0, 1], and white is 65535 here."""
    pixels = np.full((40, 6, 6), 65535, dtype=np.uint16)
    pixels[:, :3] = 0
    splits = load_splits(save(tmp_path / "w.npz", x=pixels, y=np.arange(40) % 2), seed=0, normalize="none")
    assert float(splits.x_train.max()) == 1.0 and float(splits.x_train.min()) == 0.0
