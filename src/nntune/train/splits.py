"""The data a trainer sees: train and validation tensors, and a sealed test split.

The test split is wrapped in :class:`SealedSplit`. Nothing in the search path may open it;
the only place that does is the final evaluation after the search, which records every
opening in storage. ``SealedSplit.openings`` counts openings in this process so tests can
prove that tuning never looked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch

TaskType = Literal["classification", "regression"]


class SealedSplitError(RuntimeError):
    """Raised when code tries to read the test split without opening it on purpose."""


class SealedSplit:
    """The test split, readable only through :meth:`open` with a stated reason."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self._x = x
        self._y = y
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

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])
