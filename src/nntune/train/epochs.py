"""The per-epoch rules every trainer follows, each written once.

:func:`~nntune.train.loop.fit` (one model) and :func:`~nntune.train.stack_run.fit_stack`
(many models in one batched computation) both use them: what an epoch's record holds,
when a loss counts as diverged, how training and validation are scored, when early
stopping ends a run, and how a checkpoint reaches the disk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from nntune._files import replaced_atomically
from nntune.train.schema import check_hyperparameters
from nntune.train.metrics import LOSS, predictions_numpy, scores


def improved(value: float, best: float, direction: str, min_delta: float) -> bool:
    if math.isnan(best):
        return not math.isnan(value)
    return value > best + min_delta if direction == "maximize" else value < best - min_delta


def divergence(epoch: int, which: str, loss: float) -> str | None:
    """The message recorded when ``loss`` is NaN or infinite, else None."""
    return None if math.isfinite(loss) else f"{which} loss is {loss} at epoch {epoch}"


def epoch_scores(
    metric: str,
    task: str,
    y_seen: np.ndarray,
    train_pred: Tensor,
    y_val_np: np.ndarray,
    val_out: Tensor,
    y_val: Tensor,
    n_classes: int,
    mean: float,
    std: float,
    options: Mapping[str, Any] | None = None,
    *,
    losses: tuple[float, float],
) -> tuple[float, float]:
    """(train, validation) metric: training predictions as collected during the epoch
    (labels or raw values, in the epoch's batch order), validation from raw outputs;
    ``options`` are the task's metric options (positive class, beta). For the metric
    ``loss`` they are ``losses``, the epoch's (train, validation) loss, and nothing is scored."""
    if metric == LOSS:
        return losses
    train_np = predictions_numpy(train_pred, task, mean, std)
    val_np = predictions_numpy(val_out if task == "classification" else val_out.view_as(y_val), task, mean, std)
    train_score = scores([metric], task, y_seen.reshape(train_np.shape), train_np, n_classes, **(options or {}))[metric]
    val_score = scores([metric], task, y_val_np, val_np, n_classes, **(options or {}))[metric]
    return train_score, val_score


def epoch_record(
    epoch: int,
    iterations: int,
    metric: str,
    train_loss: float,
    train_score: float,
    val_loss: float,
    val_score: float,
    lr: float,
    layers: list[dict[str, Any]],
) -> dict[str, Any]:
    """The record an epoch reports (``epoch_time`` is added once the epoch is over)."""
    return {
        "epoch": epoch,
        "iterations": iterations,
        "train_loss": train_loss,
        f"train_{metric}": train_score,
        "val_loss": val_loss,
        f"val_{metric}": val_score,
        "value": val_score,
        "lr": lr,
        "layers": layers,
    }


def stopping_settings(hp: Mapping[str, Any]) -> tuple[bool, int, float]:
    """``early_stopping``, ``patience`` and ``min_delta`` of ``hp``, or a ConfigError naming
    the one the trainer's table refuses (a negative patience or min_delta would stop a run
    that is still improving); read again when a running model's settings change."""
    check_hyperparameters(hp, ("early_stopping", "patience", "min_delta"))
    return bool(hp["early_stopping"]), int(hp["patience"]), float(hp["min_delta"])


@dataclass
class EarlyStopping:
    """Tracks the best epoch; :meth:`update` says whether this one improved on it."""

    direction: str
    ceiling: float
    min_delta: float = 0.0
    patience: int = 5
    enabled: bool = False
    best_epoch: int = 0
    best_value: float = float("nan")
    bad_epochs: int = 0

    def update(self, epoch: int, value: float) -> bool:
        if improved(value, self.best_value, self.direction, self.min_delta):
            self.best_epoch, self.best_value, self.bad_epochs = epoch, value, 0
            return True
        self.bad_epochs += 1
        return False

    def restart(self, epoch: int, value: float) -> None:
        """Judge from ``epoch`` on, as if it were the first: early stopping switched on while
        the model trains has kept no weights from before, so it cannot count on them."""
        self.best_epoch, self.best_value, self.bad_epochs = epoch, value, 0

    def should_stop(self, value: float) -> bool:
        # Only an epoch without improvement spends patience, as in Keras and Lightning: a
        # patience of 0 stops at the first such epoch, never after an improving one.
        # At the metric's bound no later epoch can count as better: waiting out the patience
        # would only spend time, and the weights returned would be this epoch's all the same.
        waited = self.bad_epochs > 0 and self.bad_epochs >= self.patience
        return self.enabled and (waited or value == self.ceiling)


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """torch.save to a temporary file beside ``path``, then an atomic rename over it."""
    with replaced_atomically(path) as handle:
        torch.save(payload, handle)
