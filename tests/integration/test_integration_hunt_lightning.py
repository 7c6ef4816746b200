"""The Lightning callback reports what the module logs in its own ``on_train_epoch_end``
(an accuracy computed over the epoch, Lightning's usual place for it) at that epoch: the
value of the epoch itself, and the fit's last epoch too; and each epoch's learning rate is
the one it trained at, though an epoch scheduler steps before the epoch's hooks run."""

from __future__ import annotations

import warnings

import pytest

import nntune
from tests.integration.digits_data import digits_loaders
from tests.integration.lazy_module import lazy, needed

pl = lazy("lightning.pytorch")
EpochAccuracy = lazy("tests.integration.lightning_modules", "EpochAccuracy")
PyTorchLightningPruningCallback = lazy("nntune.integration._lightning", "PyTorchLightningPruningCallback")
_needs = needed("lightning")



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
