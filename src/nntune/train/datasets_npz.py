"""Arrays saved with numpy (``np.savez("data.npz", x=x, y=y)``) as a data set.

``task.data: {kind: npz, path: data.npz}`` reads the arrays ``x`` and ``y`` (other names with
``x: features, y: labels``), and ``x_test``/``y_test`` when the file has them, as the data
set's own test split, and ``x_val``/``y_val`` as its own validation split (a benchmark's
official one: training then takes all of ``x``, ``y`` but the test cut). ``x`` of shape
(N, F) is a table; (N, H, W), (N, C, H, W) or (N, H, W, C) with 1, 3 or 4 channels are
images (uint8 and uint16 pixels are scaled to [0, 1]). ``y`` is a class label when it is
text, boolean, or integral with at most 20 values (``task:`` forces it either way); class
names come from ``classes:`` or an array ``classes`` in the file. An array
``feature_names`` names a table's columns. ``allow_pickle`` stays off: a file cannot run
code when it is read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.train.data_paths import data_path
from nntune.train.datasets import CSV_MAX_CLASSES, MISSING, RawData, TaskType, given_classes

CHANNELS = (1, 3, 4)


NPY_MAGIC = b"\x93NUMPY"


def load_arrays(path: Path, field: str, keys: Collection[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an npz file (those named in ``keys`` only, when given), or one
    ConfigError naming ``field``. A file that is no zip of arrays (one array saved by
    ``np.save``, a text file) is told so, not with numpy's words about pickles."""
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            one = fh.read(len(NPY_MAGIC)) == NPY_MAGIC
        raise ConfigError(field, f"cannot read {path.name} as a numpy .npz file: it is not the zip of named "
                                 "arrays np.savez writes" + (
            "; it holds one array, as np.save writes: save the inputs and targets with np.savez(path, x=x, y=y)"
            if one else ""))
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return {k: arrays[k] for k in arrays.files if keys is None or k in keys}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ConfigError(field, f"cannot read {path.name} as a numpy .npz file: {err}") from None


def array_names(path: Path) -> list[str]:
    """The names of the arrays an npz file holds (read by :func:`load_arrays` first)."""
    with np.load(path, allow_pickle=False) as arrays:
        return sorted(arrays.files)


def _images(x: np.ndarray, where: str) -> np.ndarray:
    """Image arrays as (N, C, H, W)."""
    if x.ndim == 3:
        return x[:, None]
    if x.shape[1] in CHANNELS:
        return x
    if x.shape[-1] in CHANNELS:
        return np.ascontiguousarray(np.moveaxis(x, -1, 1))
    raise ConfigError(where, f"images of shape {x.shape[1:]} have no channel axis of 1, 3 or 4 first or last")


def _inputs(x: np.ndarray, where: str, gaps: bool = False) -> tuple[np.ndarray, str]:
    """``x`` as float32 features or (N, C, H, W) images, and which; with ``gaps`` a table
    may hold NaN (``task.data.missing`` says what becomes of them), never infinities."""
    if x.dtype.kind not in "biuf":
        raise ConfigError(where, f"must hold numbers, got {x.dtype}")
    if x.ndim >= 2 and not int(np.prod(x.shape[1:])):  # a model with no input: every trial learns the class shares
        raise ConfigError(where, f"holds no value in a row: shape {x.shape}")
    if x.ndim == 2:
        out, modality = x.astype(np.float32), "tabular"
    elif x.ndim in (3, 4):
        out = _images(x, where)
        modality = "image"
        if out.dtype == np.uint16:  # 16-bit pixels (medical, astronomy) in [0, 1] as 8-bit ones are
            out = out.astype(np.float32) / np.float32(65535.0)
        out = out if out.dtype == np.uint8 else out.astype(np.float32)
    else:
        raise ConfigError(where, f"must be (N, features) or images, got shape {x.shape}")
    if out.dtype != np.uint8 and not np.isfinite(out).all():
        if not (gaps and modality == "tabular" and not np.isinf(out).any()):
            raise ConfigError(where, "has missing or infinite values" + (
                "; set task.data.missing to drop, mean or median for missing ones"
                if modality == "tabular" and not np.isinf(out).any() else ""))
    return out, modality


def _drop_gaps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The rows of a table without a missing value, and how many were dropped."""
    keep = ~np.isnan(x).any(axis=1)
    return x[keep], y[keep], int((~keep).sum())


def one_hot(y: np.ndarray) -> bool:
    """Rows of zeros with a single one, as Keras' ``to_categorical`` gives labels."""
    return (y.ndim == 2 and y.shape[1] > 1 and y.dtype.kind in "biuf" and bool(np.isin(y, (0, 1)).all())
            and bool((y.sum(axis=1) == 1).all()))


def _task(y: np.ndarray, forced: Any) -> TaskType:
    if forced is not None:
        if forced not in ("classification", "regression"):
            raise ConfigError("task.data.task", f"must be classification or regression, got {forced!r}")
        return forced  # type: ignore[no-any-return]
    if y.dtype.kind in "bUSO":
        return "classification"
    if one_hot(y):
        return "classification"
    if y.ndim > 1 and int(np.prod(y.shape[1:])) != 1:
        return "regression"
    y = y.reshape(len(y))  # a column of labels (N, 1), as Keras' datasets give them, is one label each
    integral = y.dtype.kind in "iu" or bool(np.all(np.mod(y, 1) == 0))
    return "classification" if integral and len(np.unique(y)) <= CSV_MAX_CLASSES else "regression"


def _whole_labels(labels: np.ndarray) -> np.ndarray:
    """Whole-number labels held as floats (``y.astype(float)``, a pandas column that had a
    gap) as integers: their classes are 0 and 1, named and predicted as integer labels
    are, not 0.0 and 1.0, as a CSV's are."""
    if labels.dtype.kind != "f" or not labels.size or not np.isfinite(labels).all():
        return labels
    whole = bool(np.all(np.mod(labels, 1) == 0)) and float(np.abs(labels).max()) < 2**53
    return labels.astype(np.int64) if whole else labels


def _class_codes(labels: np.ndarray, names: Any) -> tuple[np.ndarray, list[str]]:
    """Labels as class indices 0..n-1, and the class names. Integer labels that all index
    the given ``names`` keep their values (name i is label i, present or not); other labels
    are numbered in sorted order, and the names, if given, follow that order."""
    if names is not None and labels.dtype.kind in "biu" and (not len(labels) or (
            labels.min() >= 0 and labels.max() < len(names))):
        return labels.astype(np.int64), [str(c) for c in names]
    uniques, codes = np.unique(labels, return_inverse=True)
    classes = [str(c) for c in (names if names is not None else uniques.tolist())]
    if len(classes) < len(uniques):
        raise ConfigError("task.data.classes", f"{len(classes)} names for {len(uniques)} classes")
    return codes.reshape(-1).astype(np.int64), classes


def _own_split(arrays: Mapping[str, np.ndarray], names: Mapping[str, str], part: str, x: np.ndarray,
               y: np.ndarray, modality: str, missing: str, file: str) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The file's own ``x_<part>``/``y_<part>`` (test or val) as inputs and targets, checked
    against ``x``, ``y``, and how many rows ``missing: drop`` took from them; None when the
    file has neither. One of the two alone is refused, naming the one missing."""
    kx, ky = f"x_{part}", f"y_{part}"
    has = {key: names[key] in arrays for key in (kx, ky)}
    if not any(has.values()):
        return None
    if not all(has.values()):
        # A validation split names the array missing; the test split's refusal has always named x_test.
        key = (kx if not has[kx] else ky) if part == "val" else kx
        raise ConfigError(f"task.data.{key}", f"needs both {names[kx]!r} and {names[ky]!r} in {file}")
    x_part, part_modality = _inputs(arrays[names[kx]], f"task.data.{kx}", missing != "error")
    y_part = arrays[names[ky]]
    if y_part.ndim != y.ndim or y_part.shape[1:] != y.shape[1:]:
        raise ConfigError(f"task.data.{ky}", f"targets of shape {y_part.shape} do not match {y.shape}")
    dropped = 0
    if missing == "drop" and part_modality == "tabular" and len(y_part) == len(x_part):
        x_part, y_part, dropped = _drop_gaps(x_part, y_part)
    if part_modality != modality or x_part.shape[1:] != x.shape[1:]:
        raise ConfigError(f"task.data.{kx}", f"shape {arrays[names[kx]].shape} does not match "
                                             f"{arrays[names['x']].shape}")
    if len(y_part) != len(x_part):
        raise ConfigError(f"task.data.{ky}", f"{len(y_part)} targets for the {len(x_part)} rows of {names[kx]!r}")
    if not len(x_part):  # every trial, or the look at the test split after the search, would score nothing
        raise ConfigError(f"task.data.{kx}", f"holds no rows in {file}" + (" left by missing: drop" if dropped else ""))
    return x_part, y_part, dropped


def _labels(y: np.ndarray) -> np.ndarray:
    """One label per row: one-hot rows as the index of their 1."""
    return y.argmax(axis=1) if one_hot(y) else y


def _check_part_classes(y: np.ndarray, y_val: np.ndarray, given: Any, file: str, key: str) -> None:
    """A validation or test label (``key``: y_val, y_test) must be one of the classes the
    model is trained to tell: a label of ``y`` or, for integer labels, an index of the
    given class names."""
    labels, val = _labels(y).reshape(-1), _labels(y_val).reshape(-1)
    known = np.unique(labels)
    if given is not None and labels.dtype.kind in "biu":
        known = np.union1d(known, np.arange(len(given)))
    comparable = val.dtype.kind == known.dtype.kind or {val.dtype.kind, known.dtype.kind} <= set("biuf")
    unknown = np.setdiff1d(np.unique(val), known) if comparable else np.unique(val)
    if len(unknown):
        raise ConfigError(f"task.data.{key}", f"holds the class {unknown[0].item()!r} in {file}, which y does not have")


def read_npz(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    path = data_path(spec, want_dir=False)
    arrays = load_arrays(path, "task.data.path")
    names = {key: str(spec.get(key, key)) for key in ("x", "y", "x_test", "y_test", "x_val", "y_val")}
    for key in ("x", "y"):
        if names[key] not in arrays:
            raise ConfigError(f"task.data.{key}", f"{path.name} has no array {names[key]!r}; it has {sorted(arrays)}")
    missing = spec.get("missing", "error")
    if missing not in MISSING:
        raise ConfigError("task.data.missing", f"must be one of {', '.join(MISSING)}, got {missing!r}")
    gaps = missing != "error"
    x, modality = _inputs(arrays[names["x"]], "task.data.x", gaps)
    if gaps and modality != "tabular":
        raise ConfigError("task.data.missing", f"applies to tables; {path.name} holds images")
    y = arrays[names["y"]]
    if y.ndim == 0:
        raise ConfigError("task.data.y", f"{names['y']!r} in {path.name} is one value; give one target per input")
    if len(y) != len(x):
        raise ConfigError("task.data.y", f"{len(y)} targets for {len(x)} inputs in {path.name}")
    dropped = 0
    if missing == "drop":
        x, y, dropped = _drop_gaps(x, y)
        if not len(x):
            raise ConfigError("task.data.missing", f"drop leaves no row of {path.name}: every row misses a value")
    x_test = y_test = x_val = y_val = None
    own = {part: _own_split(arrays, names, part, x, y, modality, missing, path.name) for part in ("test", "val")}
    if own["test"] is not None:
        x_test, y_test, dropped_test = own["test"]
        dropped += dropped_test
    if own["val"] is not None:
        x_val, y_val, dropped_val = own["val"]
        dropped += dropped_val
    for key, values in (("y", y), ("y_test", y_test), ("y_val", y_val)):
        # an infinite target is no class nor a value a loss can reach; refused whatever the task
        if values is not None and values.dtype.kind == "f" and bool(np.isinf(values).any()):
            raise ConfigError(f"task.data.{key}", f"{names[key]!r} in {path.name} has infinite targets")
    task = _task(y, spec.get("task"))
    classes: list[str] = []
    if task == "classification":
        given = given_classes(spec) or (arrays["classes"].tolist() if "classes" in arrays else None)
        for key, part in (("y_val", y_val), ("y_test", y_test)):  # a class the model never learnt to tell
            if part is not None:
                _check_part_classes(y, part, given, path.name, key)
        both = np.concatenate([part for part in (y, y_test, y_val) if part is not None])
        if one_hot(both):  # column i is class i
            both = both.argmax(axis=1)
        both = _whole_labels(both)
        if both.ndim > 1 and int(np.prod(both.shape[1:])) != 1:
            raise ConfigError("task.data.y", f"a classification takes one label per input, got shape {y.shape}")
        codes, classes = _class_codes(both.reshape(len(both)), given)
        ends = np.cumsum([len(y), 0 if y_test is None else len(y_test)])
        y, y_test, y_val = (codes[: ends[0]], None if y_test is None else codes[ends[0]:ends[1]],
                            None if y_val is None else codes[ends[1]:])
    else:
        for key, values in (("y", y), ("y_test", y_test), ("y_val", y_val)):
            if values is not None and values.dtype.kind not in "biuf":
                raise ConfigError("task.data.task", f"a regression needs numbers, but {names[key]!r} holds "
                                                    f"{values.dtype}")
        y = y.astype(np.float32)
        y_test = None if y_test is None else y_test.astype(np.float32)
        if not np.isfinite(y).all():
            raise ConfigError("task.data.y", "has missing or infinite targets")
        if y_test is not None and not np.isfinite(y_test).all():  # the test look would score NaN
            raise ConfigError("task.data.y_test", "has missing or infinite targets")
        y_val = None if y_val is None else y_val.astype(np.float32)
        if y_val is not None and not np.isfinite(y_val).all():  # every trial would score NaN
            raise ConfigError("task.data.y_val", "has missing or infinite targets")
    features = [str(f) for f in arrays["feature_names"].reshape(-1).tolist()] if "feature_names" in arrays else []
    if features and (modality != "tabular" or len(features) != x.shape[1]):  # a CSV to predict is read by them
        columns = f"{x.shape[1]} columns" if modality == "tabular" else "images"
        raise ConfigError("task.data.path", f"{path.name}: feature_names holds {len(features)} names for "
                                            f"{names['x']!r} of {columns}")
    return RawData(x, y, task, modality, path.stem, f"npz file {path}", classes=classes,  # type: ignore[arg-type]
                   x_test=x_test, y_test=y_test, x_val=x_val, y_val=y_val, feature_names=features,
                   missing=str(missing), dropped_rows=dropped)
