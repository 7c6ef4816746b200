"""The data a trainer sees: train and validation tensors, and a sealed test split.

The test split is wrapped in :class:`SealedSplit`. Nothing in the search path may open it;
the only place that does is the final evaluation after the search, which records every
opening in storage. ``SealedSplit.openings`` counts openings in this process so tests can
prove that tuning never looked. :func:`split_indices` cuts the three splits, stratified
by class and seeded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from nntune.exceptions import ConfigError

TaskType = Literal["classification", "regression"]
RATIO_TOLERANCE = 1e-6


class SealedSplitError(RuntimeError):
    """Raised when code tries to read the test split without opening it on purpose."""


def as_tensor(values: Any) -> torch.Tensor:
    """A tensor as it is; numpy arrays and lists, as a notebook holds them, as tensors."""
    return values if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))


class SealedSplit:
    """The test split, readable only through :meth:`open` with a stated reason."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self._x = as_tensor(x)
        self._y = as_tensor(y)
        self.openings: list[str] = []

    def __len__(self) -> int:
        return len(self._y)

    def open(self, reason: str) -> tuple[torch.Tensor, torch.Tensor]:
        if not reason:
            raise SealedSplitError("opening the test split needs a reason")
        self.openings.append(reason)
        return self._x, self._y

    def __repr__(self) -> str:
        return f"SealedSplit(n={len(self)}, openings={len(self.openings)})"


@dataclass
class Splits:
    """Train/validation tensors ready for a model, plus the sealed test split.

    ``x_*`` are float32 tensors (N, features) or (N, C, H, W); ``y_*`` are int64 class
    indices for classification and float32 (N,) or (N, k) targets for regression.
    ``target_mean`` / ``target_std`` undo a standardized regression target so that metrics
    are reported in the target's own units.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    test: SealedSplit
    task_type: TaskType
    n_classes: int = 0
    name: str = ""
    target_mean: float = 0.0
    target_std: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("x_train", "y_train", "x_val", "y_val"):
            setattr(self, name, as_tensor(getattr(self, name)))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


# ---------------------------------------------------------------- cutting the splits


def check_ratios(split: Sequence[float]) -> tuple[float, ...]:
    """Two (train, val) or three (train, val, test) ratios, each in (0, 1), summing to 1."""
    try:
        ratios = tuple(float(r) for r in split)
    except (TypeError, ValueError) as err:
        raise ConfigError("task.split", f"give 2 or 3 numbers, got {split!r}") from err
    if len(ratios) not in (2, 3):
        raise ConfigError("task.split", f"give 2 (train, val) or 3 (train, val, test) ratios, got {len(ratios)}")
    if not all(0.0 < r < 1.0 for r in ratios):
        raise ConfigError("task.split", f"each ratio must lie in (0, 1), got {list(ratios)}")
    total = math.fsum(ratios)
    if abs(total - 1.0) > RATIO_TOLERANCE:
        raise ConfigError("task.split", f"ratios must sum to 1, got {total:g}")
    return ratios


def _seeds(seed: int) -> list[int]:
    return [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, size=3)]


def _strata(labels: np.ndarray) -> np.ndarray:
    """The groups a split is stratified by: each class of two samples or more, and the
    classes of one sample together (scikit-learn stratifies no group of one), so that one
    rare class does not cost every other class its stratification. A lone sample of a
    lone rare class joins the largest class."""
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    rare = counts[inverse.reshape(-1)] < 2
    groups = np.where(rare, -1, inverse.reshape(-1))
    if rare.sum() == 1:
        groups[rare] = int(np.argmax(counts))
    return groups


def _cut(idx: np.ndarray, n_out: int, labels: np.ndarray | None, state: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Split ``idx`` into (kept, cut-off of size n_out), stratified when labels allow it."""
    from sklearn.model_selection import train_test_split  # scikit-learn loads in a second: when cutting

    if labels is not None:
        try:
            keep, out = train_test_split(idx, test_size=n_out, stratify=_strata(labels), random_state=state)
            return np.asarray(keep), np.asarray(out), True
        except ValueError:
            pass  # more classes than one side of the cut has samples: fall back to a plain shuffle
    keep, out = train_test_split(idx, test_size=n_out, random_state=state)
    return np.asarray(keep), np.asarray(out), False


def _count(ratio: float, n: int, part: str) -> int:
    count = int(round(ratio * n))
    if count < 1:
        raise ConfigError("task.split", f"ratio {ratio:g} of {n} samples leaves the {part} split empty")
    return count


def split_indices(y: np.ndarray, ratios: Sequence[float], seed: int, *, stratify: bool,
                  own_test: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """Indices (train, val, test, stratified) into ``y``; test is None when ``own_test``.

    Without an own test split three ratios are needed. With one, validation takes
    ``ratios[1]`` of the samples and training the rest.
    """
    ratios = check_ratios(ratios)
    n = len(y)
    if not own_test and len(ratios) != 3:
        raise ConfigError("task.split", "this data set has no test split of its own; give train, val and test ratios")
    seeds = _seeds(seed)
    labels = y if stratify else None
    idx = np.arange(n)
    test: np.ndarray | None = None
    strat = stratify
    if not own_test:
        idx, test, ok = _cut(idx, _count(ratios[2], n, "test"), labels, seeds[0])
        strat = strat and ok
    n_val = _count(ratios[1], n, "validation")
    if n_val >= len(idx):
        raise ConfigError("task.split", f"ratios {list(ratios)} leave the training split empty")
    train, val, ok = _cut(idx, n_val, None if labels is None else labels[idx], seeds[1])
    return train, val, test, strat and ok


def split_test(y: np.ndarray, ratios: Sequence[float], seed: int, *, stratify: bool,
               own_test: bool = False) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Indices (train, test, stratified) into ``y`` for a data set with a validation split of
    its own: training keeps every sample but the test cut (``ratios[-1]``, the rows
    :func:`split_indices` cuts with the same seed), and all of them with a test split of its
    own. The validation ratio cuts nothing."""
    ratios = check_ratios(ratios)
    idx = np.arange(len(y))
    if own_test:
        return idx, None, stratify
    if len(ratios) != 3:
        raise ConfigError("task.split", "this data set has no test split of its own; give train, val and test ratios")
    train, test, ok = _cut(idx, _count(ratios[2], len(y), "test"), y if stratify else None, _seeds(seed)[0])
    if not len(train):
        raise ConfigError("task.split", f"ratios {list(ratios)} leave the training split empty")
    return train, test, stratify and ok


def subsample(train: np.ndarray, train_size: int | float, y: np.ndarray | None, seed: int) -> tuple[np.ndarray, bool]:
    n = len(train)
    if isinstance(train_size, bool) or not isinstance(train_size, (int, float)):
        raise ConfigError("task.train_size", f"give an int count or a fraction, got {train_size!r}")
    if isinstance(train_size, int):
        if not 1 <= train_size <= n:
            raise ConfigError("task.train_size", f"must lie in [1, {n}] (the training split), got {train_size}")
        keep_n = train_size
    else:
        if not 0.0 < train_size <= 1.0:
            raise ConfigError("task.train_size", f"a fraction must lie in (0, 1], got {train_size}")
        keep_n = max(1, int(round(train_size * n)))
    if keep_n == n:
        return train, True
    keep, _, ok = _cut(train, n - keep_n, None if y is None else y[train], _seeds(seed)[2])
    return keep, ok
