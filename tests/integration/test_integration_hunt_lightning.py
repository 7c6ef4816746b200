"""The Lightning callback reports what the module logs in its own ``on_train_epoch_end``
(an accuracy computed over the epoch, Lightning's usual place for it) at that epoch: the
value of the epoch itself, and the fit's last epoch too; and each epoch's learning rate is
the one it trained at, though an epoch scheduler steps before the epoch's hooks run."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")

import nntune  # noqa: E402
from nntune.integration import PyTorchLightningPruningCallback  # noqa: E402
from tests.integration.digits_data import digits_loaders  # noqa: E402


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


def fit(monitor: str) -> tuple[EpochAccuracy, list[dict]]:
    """Three epochs on 150 digits; the module and the trial's stored epoch records."""
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    train, val = digits_loaders(200)
    module = EpochAccuracy()
    trainer = pl.Trainer(max_epochs=3, callbacks=[PyTorchLightningPruningCallback(trial, monitor, layer_stats=False)],
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a warning of the callback's would fail the test
        warnings.filterwarnings("ignore", message=".*(num_workers|LeafSpec|log_every_n_steps).*")
        trainer.fit(module, train, val)
    stored = study.storage.get_trial(study.id, trial.number)
    assert sorted(stored.intermediate_values) == [1, 2, 3]
    return module, stored.metrics


def test_what_the_module_logs_at_its_epoch_end_is_reported_at_that_epoch() -> None:
    module, records = fit("train_acc")
    assert [r["value"] for r in records] == pytest.approx(module.logged)  # each epoch's own, the last too
    assert [r["train_acc"] for r in records] == pytest.approx(module.logged)


def test_each_epoch_records_the_learning_rate_it_trained_at() -> None:
    module, records = fit("val_acc")
    assert [r["lr"] for r in records] == [0.5, 0.25, 0.125]  # StepLR halves it after each epoch
    assert [r["train_acc"] for r in records] == pytest.approx(module.logged)
