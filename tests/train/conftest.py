"""Small, fast data for the trainer's tests: sklearn's digits and diabetes as Splits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split

from nntune.train.splits import SealedSplit, Splits


def standardize(train: np.ndarray, *others: np.ndarray) -> list[torch.Tensor]:
    """Scale with the training split's statistics only (constant columns stay unscaled)."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [torch.tensor((a - mean) / std, dtype=torch.float32) for a in (train, *others)]


def digits_splits(shape: tuple[int, ...]) -> Splits:
    x, y = load_digits(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    x_tr, x_va, y_tr, y_va = train_test_split(x_rest, y_rest, test_size=0.2, random_state=0, stratify=y_rest)
    xt, xv, xs = (t.reshape(-1, *shape) for t in standardize(x_tr, x_va, x_test))
    return Splits(
        xt, torch.tensor(y_tr), xv, torch.tensor(y_va),
        SealedSplit(xs, torch.tensor(y_test)), "classification", n_classes=10, name="digits",
    )


@pytest.fixture()
def digits() -> Splits:
    """Digits as 64 standardized features (fresh per test, so test openings are counted per test)."""
    return digits_splits((64,))


@pytest.fixture()
def digits_images() -> Splits:
    """The same digits as 1x8x8 images, for the CNN and ResNet builders."""
    return digits_splits((1, 8, 8))


@pytest.fixture()
def diabetes() -> Splits:
    """Diabetes regression with a standardized target (mean/std kept to undo it)."""
    x, y = load_diabetes(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    x_tr, x_va, y_tr, y_va = train_test_split(x_rest, y_rest, test_size=0.25, random_state=0)
    xt, xv, xs = standardize(x_tr, x_va, x_test)
    mean, std = float(y_tr.mean()), float(y_tr.std())

    def target(v: np.ndarray) -> torch.Tensor:
        return torch.tensor((v - mean) / std, dtype=torch.float32)

    return Splits(
        xt, target(y_tr), xv, target(y_va), SealedSplit(xs, target(y_test)), "regression",
        name="diabetes", target_mean=mean, target_std=std,
    )


@pytest.fixture()
def fast() -> Callable[..., dict[str, Any]]:
    """A small MLP configuration that trains in a fraction of a second on digits."""

    def make(**overrides: Any) -> dict[str, Any]:
        return {"layers": 1, "units": 32, "optimizer": "adam", "lr": 1e-2, "epochs": 3, "batch_size": 128, **overrides}

    return make


@pytest.fixture(autouse=True)
def one_torch_thread() -> Any:
    """Run each test on one intra-op thread: these small models gain nothing from more, and
    one thread does not stall when other processes share the cores. Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
