"""The Lightning callback in real fits: each validated epoch reported with the record the
diagnosis reads, trials stopped by the study's scheduler, a diverging one recorded as
diverged."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

import nntune
from nntune.diagnose import diagnose
from nntune.trial import TrialState
from tests.integration.digits_data import digits_loaders
from tests.integration.lazy_module import lazy, needed

pl = lazy("lightning.pytorch")
Classifier = lazy("tests.integration.lightning_modules", "Classifier")
PyTorchLightningPruningCallback = lazy("nntune.integration._lightning", "PyTorchLightningPruningCallback")
_needs = needed("lightning")



def fit(trial, lr: float, units: int, epochs: int, **callback_options) -> float:
    torch.manual_seed(trial.number)
    train, val = digits_loaders()
    callback = PyTorchLightningPruningCallback(trial, monitor="val_acc", **callback_options)
    trainer = pl.Trainer(max_epochs=epochs, callbacks=[callback], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's own advice on workers and logging
        trainer.fit(Classifier(lr, units), train, val)
    return float(trainer.callback_metrics["val_acc"])


def test_each_epoch_is_reported_with_the_record_diagnosis_reads():
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 0.5, 0.5), units=32, epochs=3), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and sorted(trial.intermediate_values) == [1, 2, 3]
    assert trial.epochs == 3  # steps count epochs trained, as the built-in trainer's do
    records = trial.metrics
    assert [r["step"] for r in records] == [1, 2, 3]
    last = records[-1]
    assert {"train_loss", "val_loss", "train_acc", "val_acc", "value", "lr"} <= set(last)
    assert last["value"] == trial.intermediate_values[3] == pytest.approx(trial.value)
    assert last["lr"] == 0.5 and last["train_loss"] < records[0]["train_loss"]
    layers = last["layers"]
    assert [layer["name"] for layer in layers] == ["net.0", "net.2"]
    assert all(layer["grad_norm"] > 0 and math.isfinite(layer["act_std"]) for layer in layers)
    assert 0.0 < layers[0]["act_zero_frac"] < 1.0  # the ReLU after the first layer
    assert trial.value > 0.3  # well above the 0.1 of chance after 45 steps


def test_a_tiny_learning_rate_is_diagnosed_and_a_huge_one_diverges():
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    for lr in (1e-4, 1e20):
        study.enqueue_trial({"lr": lr})
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 1e-4, 1e20, log=True), units=16, epochs=4,
                                 layer_stats=False), n_trials=2)
    slow, huge = study.trials
    kinds = {f.kind for f in diagnose(slow, direction="maximize", metric="acc")}
    assert slow.state == TrialState.COMPLETE and "lr_too_small" in kinds
    assert "layers" not in slow.metrics[-1]
    assert huge.state == TrialState.DIVERGED and "not finite" in huge.error


def test_the_studys_scheduler_stops_trials_inside_fit():
    # Every trial after the first two is far worse than them at its first epoch: the
    # median rule stops it there, out of trainer.fit, and the study records it pruned.
    study = nntune.create_study(direction="maximize",
                                pruner=nntune.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0))
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 0.5, 0.5) if t.number < 2 else 1e-5, units=32, epochs=3),
                   n_trials=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.PRUNED] * 2
    assert all(sorted(t.intermediate_values) == [1] for t in study.trials[2:])


def test_a_metric_that_is_not_logged_is_refused_in_one_line_at_the_first_epoch():
    # As the Keras, Ignite and skorch callbacks refuse theirs: trained on, the fit reported
    # nothing and no scheduler could stop it.
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    train, val = digits_loaders(200)
    callback = PyTorchLightningPruningCallback(trial, monitor="val_f1")
    trainer = pl.Trainer(max_epochs=3, callbacks=[callback], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's own advice on workers and logging
        with pytest.raises(nntune.exceptions.ConfigError) as err:
            trainer.fit(Classifier(0.1, 8), train, val)
    assert str(err.value) == ("monitor: 'val_f1' is not among the metrics the module logged by the end of epoch 1 "
                              "('train/loss', 'train_acc', 'val/loss', 'val_acc'); log it with self.log")
    assert trainer.current_epoch == 1  # the second epoch never trained
    assert study.storage.get_trial(study.id, trial.number).intermediate_values == {}


def test_check_pruned_raises_the_pruning_again_and_is_quiet_after_a_whole_fit():
    # Optuna's examples call callback.check_pruned() after trainer.fit: here a fit that ran
    # to its end passes it, and a pruning the objective caught is raised again by it.
    def objective(trial):
        train, val = digits_loaders(200)
        callback = PyTorchLightningPruningCallback(trial, monitor="val_acc", layer_stats=False)
        trainer = pl.Trainer(max_epochs=2, callbacks=[callback], logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Lightning's own advice on workers and logging
            try:
                trainer.fit(Classifier(0.1, 8), train, val)
            except nntune.TrialPruned:
                pass  # caught, as code that ends a DDP fit itself would
        callback.check_pruned()
        return float(trainer.callback_metrics["val_acc"])

    kept = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    kept.optimize(objective, n_trials=1)
    assert kept.trials[0].state == TrialState.COMPLETE
    stopped = nntune.create_study(direction="maximize", pruner=nntune.pruners.ThresholdPruner(lower=2.0))
    stopped.optimize(objective, n_trials=1)
    assert stopped.trials[0].state == TrialState.PRUNED and sorted(stopped.trials[0].intermediate_values) == [1]
