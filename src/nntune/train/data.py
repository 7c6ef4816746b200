"""Turn a data set into :class:`~nntune.train.splits.Splits`: split, scale, check, seal.

The order is fixed so that nothing leaks from validation or test into training:

1. read the raw data (:mod:`nntune.train.datasets`);
2. split indices, stratified by class and seeded (the data set's own test split, if it has
   one, stays the test split and validation comes out of its training part; its own
   validation split, if it has one, is the validation split and training keeps the rest);
3. optionally keep only ``train_size`` of the training split;
4. scale images to [0, 1], convert to grayscale, resize;
5. fit the normalization on the training split alone and apply it to all three;
6. compare the splits' label shares and feature means, warn when they differ;
7. wrap the test split in a :class:`SealedSplit` nobody has opened.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nntune.exceptions import ConfigError
from nntune.train.augment import IMAGENET_MEAN, IMAGENET_STD
from nntune.train.datasets import RawData, dataset_names, load_raw, size_pair
from nntune.train.split_check import (FEATURE_SHIFT_THRESHOLD, LABEL_SHARE_THRESHOLD, DuplicateRowsWarning,
                                      SplitDistributionWarning, distribution_check, shared_rows)
from nntune.train.splits import SealedSplit, Splits, check_ratios, split_indices, split_test, subsample

__all__ = ["load_splits", "dataset_names", "split_indices", "check_ratios", "distribution_check",
           "SplitDistributionWarning", "LABEL_SHARE_THRESHOLD", "FEATURE_SHIFT_THRESHOLD"]

NORMALIZE_METHODS = ("standard", "minmax", "none", "imagenet")
GENERAL_OPTIONS = ("grayscale", "resize", "mean", "std", "flatten", "as_image")
LOADER_KEYS = ("kind", "path", "target", "sep", "decimal", "thousands", "encoding", "features", "task", "missing",
               "classes", "x", "y", "x_test", "y_test", "x_val", "y_val")
RESIZE_CHUNK = 4096


# ---------------------------------------------------------------- arguments


def _collect_options(data: str | Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key not in LOADER_KEYS and key not in GENERAL_OPTIONS:
                raise ConfigError(f"task.data.{key}", f"unknown key; known: {', '.join(LOADER_KEYS + GENERAL_OPTIONS)}")
            if key in GENERAL_OPTIONS:
                opts[key] = value
    for key, value in options.items():
        if key not in GENERAL_OPTIONS:
            raise ConfigError(f"task.options.{key}", f"unknown data option; known: {', '.join(GENERAL_OPTIONS)}")
        opts[key] = value
    return opts


# ---------------------------------------------------------------- splitting


def _fingerprint(*parts: np.ndarray | None) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"|" if part is None else np.ascontiguousarray(part, dtype=np.int64).tobytes() + b"|")
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- scaling


def _images_to_float(x: np.ndarray, grayscale: bool, resize: tuple[int, int] | None) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(x))
    t = t.float().div_(255.0) if t.dtype == torch.uint8 else t.float()
    # torchvision's import takes seconds (it loads every model definition): only when needed.
    if grayscale and t.dim() == 4 and t.shape[1] in (2, 4):  # an alpha channel (LA, RGBA): dropped, as PIL's convert("L")
        t = t[:, :-1]
    if grayscale and t.shape[1] == 3:
        from torchvision.transforms.v2 import functional as TF
        t = TF.rgb_to_grayscale(t, num_output_channels=1)
    if resize is not None and tuple(t.shape[-2:]) != resize:
        from torchvision.transforms.v2 import functional as TF
        t = torch.cat([TF.resize(c, list(resize), antialias=True) for c in t.split(RESIZE_CHUNK)])
    return t


@dataclass(frozen=True)
class Normalizer:
    """``x -> (x - shift) / scale`` with statistics fitted on the training split."""

    method: str
    shift: torch.Tensor
    scale: torch.Tensor

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale

    def apply_(self, x: torch.Tensor) -> torch.Tensor:
        """In place, for tensors nobody else holds (saves memory on large image sets)."""
        return x.sub_(self.shift).div_(self.scale)

    def to_info(self) -> dict[str, Any]:
        return {"method": self.method, "shift": self.shift.flatten().tolist(),
                "scale": self.scale.flatten().tolist()}


def _given_stats(opts: Mapping[str, Any], method: str, channels: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    if method == "imagenet":
        if channels != 3:
            raise ConfigError("task.normalize", f"imagenet statistics need 3 channels, the images have {channels}")
        return torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
    if opts.get("mean") is None and opts.get("std") is None:
        return None
    if method != "standard":
        raise ConfigError("task.options.mean", "mean/std options apply with normalize: standard")
    stats = []
    for key in ("mean", "std"):
        value = opts.get(key)
        vals = [float(value)] * channels if isinstance(value, (int, float)) else list(value or [])
        if len(vals) != channels:
            raise ConfigError(f"task.options.{key}", f"give {channels} values (one per channel), got {value!r}")
        stats.append(torch.tensor(vals, dtype=torch.float32))
    if bool((stats[1] <= 0).any()):
        raise ConfigError("task.options.std", "every std must be positive")
    return stats[0], stats[1]


def fit_normalizer(x_train: torch.Tensor, method: str, opts: Mapping[str, Any] | None = None) -> Normalizer:
    """Fit on training data only: per channel for (N, C, H, W), per feature for (N, F)."""
    image = x_train.dim() == 4
    dims = (0, 2, 3) if image else (0,)
    shape = (1, -1, 1, 1) if image else (1, -1)
    given = _given_stats(opts or {}, method, x_train.shape[1]) if image else None
    if given is not None:
        shift, scale = given
    elif method == "standard":
        var, shift = torch.var_mean(x_train, dim=dims, correction=0)
        scale = var.sqrt()
    elif method == "minmax":
        shift = x_train.amin(dim=dims)
        scale = x_train.amax(dim=dims) - shift
    else:
        shift, scale = torch.zeros(x_train.shape[1]), torch.ones(x_train.shape[1])
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return Normalizer(method, shift.reshape(shape).float(), scale.reshape(shape).float())


# ---------------------------------------------------------------- the entry point


def _source(raw: RawData, part: str) -> tuple[np.ndarray, np.ndarray]:
    """The arrays a split's indices point into: the data set's own test or validation
    arrays for that split when it has them, ``x``, ``y`` otherwise."""
    if part == "test" and raw.x_test is not None and raw.y_test is not None:
        return raw.x_test, raw.y_test
    if part == "val" and raw.x_val is not None and raw.y_val is not None:
        return raw.x_val, raw.y_val
    return raw.x, raw.y


def _targets(raw: RawData, idx: np.ndarray, part: str) -> torch.Tensor:
    y = _source(raw, part)[1][idx]
    dtype = torch.int64 if raw.task_type == "classification" else torch.float32
    return torch.as_tensor(np.ascontiguousarray(y), dtype=dtype)


def _inputs(raw: RawData, idx: np.ndarray, part: str, opts: Mapping[str, Any]) -> torch.Tensor:
    x = _source(raw, part)[0][idx]
    if raw.modality == "image":
        size = size_pair(opts["resize"]) if opts.get("resize") is not None else None
        return _images_to_float(x, bool(opts.get("grayscale", False)), size)
    return torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)


def fill_missing(parts: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
                 raw: RawData) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], dict[str, Any] | None]:
    """Each split's missing features (NaN) filled with the training split's mean or median
    of the column (``raw.missing``; 0 for a column the training rows never have), and what
    was done: ``{"method", "fill", "filled_rows": {"train", "val"}}``, ``{"method": "drop",
    "dropped_rows"}``, or None (missing values refused). The test split is filled with the
    same training values and never counted: what it holds stays sealed."""
    if raw.missing == "drop":
        return dict(parts), {"method": "drop", "dropped_rows": raw.dropped_rows}
    x_train = parts["train"][0]
    if raw.missing not in ("mean", "median") or x_train.dim() != 2:
        return dict(parts), None
    stat = torch.nanmean(x_train, dim=0) if raw.missing == "mean" else torch.nanquantile(x_train, 0.5, dim=0)
    fill = torch.nan_to_num(stat, nan=0.0)
    filled = {name: int(torch.isnan(x).any(dim=1).sum()) for name, (x, _) in parts.items() if name != "test"}
    out = {name: (torch.where(torch.isnan(x), fill, x), y) for name, (x, y) in parts.items()}
    return out, {"method": raw.missing, "fill": fill.tolist(), "filled_rows": filled}


def _image_options(opts: Mapping[str, Any]) -> dict[str, Any]:
    """What turned the stored images into the model's inputs (``task.options`` as much as
    ``task.data``), so that new images can be read the same way."""
    return {key: opts[key] for key in ("grayscale", "resize", "flatten") if opts.get(key) not in (None, False)}


def _check_scalars(seed: int, normalize: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError("task.seed", f"must be an int, got {seed!r}")
    if normalize not in NORMALIZE_METHODS:
        raise ConfigError("task.normalize", f"choose from {', '.join(NORMALIZE_METHODS)}, got {normalize!r}")


def _check_labels(raw: RawData) -> None:
    """Samples to split, and for a classification two classes among those it trains on: with
    one, every model is perfect and the search compares nothing."""
    if not len(raw.y):
        raise ConfigError("task.data", f"{raw.name} holds no samples")
    if raw.y_test is not None and not len(raw.y_test):  # the look after the search would score nothing
        raise ConfigError("task.data.path", f"the test split of {raw.source} holds no samples; give test rows "
                                            "or none (the test split is then cut from the rest)")
    if raw.task_type != "classification":
        return
    labels = np.concatenate([part for part in (raw.y, raw.y_test, raw.y_val) if part is not None])
    outside = labels[(labels < 0) | (labels >= len(raw.classes))]
    if len(outside):  # the model has one output per class name, and a label is an output's index
        raise ConfigError("task.data", f"{raw.name} holds the label {int(outside[0])} but names {len(raw.classes)} "
                                       f"classes (labels 0 to {len(raw.classes) - 1})")
    present = np.unique(raw.y)
    if len(present) < 2:
        name = raw.classes[int(present[0])] if len(present) and int(present[0]) < len(raw.classes) else "none"
        raise ConfigError("task.data", f"{raw.name} has one class only ({name!r}) to train on; a classification "
                                       "needs two or more")


def _check_training_classes(raw: RawData, train: np.ndarray, subsampled: bool) -> None:
    """The training split must hold two classes: a model trained on one learns nothing. A
    class too rare to reach every split, or a small ``train_size``, can leave it one. A
    regression's must hold two rows: one has no spread to scale by, and a batch norm layer
    fails on it in every trial."""
    if raw.task_type != "classification":
        if len(train) < 2:
            field, what = ("task.train_size", "keeps") if subsampled else ("task.split", "leaves")
            raise ConfigError(field, f"{what} {len(train)} training sample of the {len(raw.y)} of {raw.name}; "
                                     "a regression needs two or more")
        return
    present = np.unique(raw.y[train])
    if len(present) >= 2:
        return
    only = raw.classes[int(present[0])]
    if subsampled:
        raise ConfigError("task.train_size", f"keeps {len(train)} training samples, all of the class {only!r}")
    counts = np.bincount(raw.y, minlength=len(raw.classes))
    rare = [f"{raw.classes[c]!r} ({counts[c]})" for c in np.argsort(counts) if counts[c] and c not in present]
    raise ConfigError("task.split", f"the training split of {raw.name} holds the class {only!r} only; the others "
                                    f"have too few samples to reach it: {', '.join(rare[:5])}")


def _warn_shared_rows(raw: RawData, idx: Mapping[str, np.ndarray]) -> None:
    """Warn when validation or test samples copy a training sample, inputs and target:
    duplicated rows in the user's data put one sample on both sides of a split, and the
    scores on it measure memory. The rows stay where the seed put them (the splits do
    not change); dropping the duplicates from the file is the user's to decide."""
    parts = {name: (_source(raw, name)[0][rows], _source(raw, name)[1][rows]) for name, rows in idx.items()}
    shared = shared_rows(parts.pop("train"), parts)
    if not shared:
        return
    what = "images" if raw.modality == "image" else "rows"
    told = " and ".join(f"{count} of the {len(parts[name][1])} {'validation' if name == 'val' else name} {what}"
                        for name, count in shared.items())
    warnings.warn(f"{raw.name}: {told} are copies of training {what} (duplicated {what} in the data, same inputs "
                  "and target): their scores measure what was memorised; drop the duplicates to keep the splits "
                  "apart", DuplicateRowsWarning, stacklevel=3)


def _standardized_target(parts: Mapping[str, tuple[torch.Tensor, torch.Tensor]]
                         ) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], float, float]:
    """Regression targets scaled by the training split's mean and standard deviation, and
    those two numbers. One pair for all columns of a (N, k) target: models and metrics undo
    it with one mean and one scale."""
    var, mean = torch.var_mean(parts["train"][1].float(), correction=0)
    target_mean, target_std = float(mean), float(var.sqrt()) or 1.0
    return {name: (x, (y - target_mean) / target_std) for name, (x, y) in parts.items()}, target_mean, target_std


def _check_modality(normalize: str, raw: RawData, opts: Mapping[str, Any]) -> None:
    if opts.get("as_image") not in (None, False) and raw.source != "sklearn.datasets.load_digits":
        raise ConfigError("task.options.as_image", f"applies to the digits data set (8x8 images); {raw.name} is not it")
    if raw.modality == "tabular":
        for key in ("grayscale", "resize", "mean", "std"):
            if opts.get(key) not in (None, False):
                raise ConfigError(f"task.options.{key}", f"applies to image data; {raw.name} is tabular")
        if normalize == "imagenet":
            raise ConfigError("task.normalize", f"imagenet applies to image data; {raw.name} is tabular")


def load_splits(data: str | Mapping[str, Any], *, split: Sequence[float] = (0.6, 0.2, 0.2), seed: int = 0,
                normalize: str = "standard", train_size: int | float | None = None,
                standardize_target: bool = True, **options: Any) -> Splits:
    """Load ``data`` and return train/validation tensors and a sealed test split.

    ``data`` is a bundled name (:func:`dataset_names`) or a dict with ``kind`` csv,
    image_folder, cifar10, idx or npz and a ``path``. ``options``: ``grayscale``, ``resize``
    (int or [h, w]), ``mean``/``std`` (per channel, instead of training statistics),
    ``flatten`` (images as (N, C*H*W)), ``as_image`` (digits as (N, 1, 8, 8)). A data set
    with a validation split of its own (an npz file's ``x_val``/``y_val``) validates on those
    rows: ``split``'s validation ratio is unused, its test ratio still cuts the test split.
    """
    ratios = check_ratios(split)
    _check_scalars(seed, normalize)
    opts = _collect_options(data, options)
    raw = load_raw(data, opts)
    _check_modality(normalize, raw, opts)
    _check_labels(raw)
    classify = raw.task_type == "classification"
    if raw.has_own_val:  # the given validation rows, not a cut of x, y: training keeps all but the test cut
        train, test, stratified = split_test(raw.y, ratios, seed, stratify=classify, own_test=raw.has_own_test)
        val = np.arange(len(raw.y_val))  # type: ignore[arg-type]
    else:
        train, val, test, stratified = split_indices(raw.y, ratios, seed, stratify=classify,
                                                     own_test=raw.has_own_test)
    n_train_full = len(train)
    _check_training_classes(raw, train, subsampled=False)
    if train_size is not None:
        train, ok = subsample(train, train_size, raw.y if classify else None, seed)
        stratified = stratified and ok
        _check_training_classes(raw, train, subsampled=True)
    if test is None:
        test = np.arange(len(raw.y_test))  # type: ignore[arg-type]
    if not isinstance(data, str):  # a bundled set is as published; a user's own file can be fixed
        _warn_shared_rows(raw, {"train": train, "val": val, "test": test})
    parts = {name: (_inputs(raw, idx, name, opts), _targets(raw, idx, name))
             for name, idx in (("train", train), ("val", val), ("test", test))}
    parts, missing = fill_missing(parts, raw)
    norm = fit_normalizer(parts["train"][0], normalize, opts)
    parts = {name: (norm.apply_(x), y) for name, (x, y) in parts.items()}
    target_mean, target_std = 0.0, 1.0
    if not classify and standardize_target:
        parts, target_mean, target_std = _standardized_target(parts)
    check = distribution_check(parts, len(raw.classes) if classify else 0)
    if not check["passed"]:
        warnings.warn(f"{raw.name}: splits differ in distribution: {'; '.join(check['problems'])}",
                      SplitDistributionWarning, stacklevel=2)
    image_shape = tuple(parts["train"][0].shape[1:])
    if opts.get("flatten") and raw.modality == "image":
        parts = {name: (x.flatten(1), y) for name, (x, y) in parts.items()}
    info = {
        "source": raw.source, "classes": list(raw.classes), "modality": raw.modality,
        "n_train": len(train), "n_val": len(val), "n_test": len(test), "n_train_full": n_train_full,
        "split": list(ratios), "seed": seed, "stratified": stratified, "own_test_split": raw.has_own_test,
        "own_val_split": raw.has_own_val,
        "train_size": train_size, "image_shape": image_shape if raw.modality == "image" else None,
        "flattened": bool(opts.get("flatten")) and raw.modality == "image",
        "feature_names": list(raw.feature_names), "text_columns": list(raw.text_columns),
        "normalization": norm.to_info(), "missing": missing,
        "rows_left_out": {"no_target": raw.unlabelled_rows, "missing_values": raw.dropped_rows},
        "load_options": _image_options(opts) if raw.modality == "image" else {},
        "distribution_check": check, "split_fingerprint": _fingerprint(train, val, None if raw.has_own_test else test),
    }
    return Splits(x_train=parts["train"][0], y_train=parts["train"][1], x_val=parts["val"][0],
                  y_val=parts["val"][1], test=SealedSplit(*parts["test"]), task_type=raw.task_type,
                  n_classes=len(raw.classes) if classify else 0, name=raw.name,
                  target_mean=target_mean, target_std=target_std, info=info)
