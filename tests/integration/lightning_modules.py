"""The Lightning modules of the Lightning tests, kept apart so that the tests import
Lightning when they run (:mod:`tests.integration.lazy_module`), not when they are collected;
a DDP rank's process finds its module here by name."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn


class Classifier(pl.LightningModule):
    def __init__(self, lr: float, units: int) -> None:
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(64, units), nn.ReLU(), nn.Linear(units, 10))

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        logits = self.net(x)
        loss = nn.functional.cross_entropy(logits, y)
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True)
        self.log(f"{stage}_acc", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


class EpochAccuracy(pl.LightningModule):
    """Counts correct training predictions over the epoch and logs their share when it ends."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(64, 10)
        self.correct = self.seen = 0
        self.logged: list[float] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.correct += int((logits.argmax(1) == y).sum())
        self.seen += len(y)
        return nn.functional.cross_entropy(logits, y)

    def on_train_epoch_end(self) -> None:
        self.logged.append(self.correct / self.seen)
        self.log("train_acc", self.logged[-1])
        self.correct = self.seen = 0

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.5)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)]


class PairClassifier(pl.LightningModule):
    def __init__(self, lr: float) -> None:
        super().__init__()
        self.net, self.lr = nn.Linear(4, 2), lr

    def training_step(self, batch: Any, _: int) -> torch.Tensor:
        loss = nn.functional.cross_entropy(self.net(batch[0]), batch[1])
        self.log("train_loss", loss, on_epoch=True, sync_dist=True)
        return loss

    def validation_step(self, batch: Any, _: int) -> None:
        acc = (self.net(batch[0]).argmax(1) == batch[1]).float().mean()
        self.log("val_acc", acc, sync_dist=True)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)
