"""The metric ``loss``: each epoch's scores are its losses, early stopping minimizes them, and
a split's loss measured outside the loop is the trainer's ``val_loss``."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nntune.train import fit, fit_stack
from nntune.train.basics import predict, resolve_params
from nntune.train.epochs import epoch_scores
from nntune.train.loss_metric import split_loss
from nntune.train.metrics import best_possible, metric_direction
from nntune.train.splits import Splits

MLP = {"layers": 1, "units": 16, "batch_size": 64, "optimizer": "sgd", "lr": 0.05, "epochs": 3}


def test_the_epochs_scores_of_the_loss_are_its_losses_untouched():
    # Nothing is scored: the predictions could be anything (here empty), the losses pass through.
    empty = torch.empty(0)
    assert epoch_scores("loss", "classification", empty.numpy(), empty, empty.numpy(), empty, empty, 10, 0.0, 1.0,
                        losses=(0.7, 0.9)) == (0.7, 0.9)
    assert metric_direction("loss") == "minimize" and best_possible("loss") == 0.0


@pytest.mark.parametrize("extra", [{}, {"weight_decay": 0.05, "l1": 1e-3, "dropout": 0.3}],
                         ids=["plain", "penalized"])
def test_a_records_value_is_its_validation_data_loss_without_penalties(digits: Splits, extra):
    params = {**MLP, **extra}
    result = fit(params, digits, metric="loss", seed=1)
    for rec in result.history:
        assert rec["value"] == rec["val_loss"] and "train_accuracy" not in rec
    # The last epoch's weights: their cross-entropy on the validation split in eval mode (no
    # dropout), with neither the L1 penalty nor the weight decay added.
    last = result.history[-1]["val_loss"]
    assert last == pytest.approx(float(F.cross_entropy(predict(result.model, digits.x_val), digits.y_val)), rel=1e-6)
    hp = resolve_params(params, "classification")
    measured = split_loss(result.model, digits.x_val, digits.y_val, hp, "classification", 10)
    assert measured == pytest.approx(last, rel=1e-6)


def test_early_stopping_on_the_loss_keeps_its_lowest_epoch(digits: Splits):
    params = {**MLP, "lr": 0.9, "epochs": 15, "early_stopping": True, "patience": 1}
    result = fit(params, digits, metric="loss", seed=0)
    losses = [r["val_loss"] for r in result.history]
    assert result.best_value == min(losses) == losses[result.best_epoch - 1]
    assert result.stopped_early and result.epochs == result.best_epoch + 1
    assert split_loss(result.model, digits.x_val, digits.y_val, resolve_params(params, "classification"),
                      "classification", 10) == pytest.approx(result.best_value, rel=1e-6)


def test_a_regression_loss_is_in_standard_deviations_of_the_target(diabetes: Splits):
    params = {**MLP, "loss": "huber", "huber_delta": 0.5}
    result = fit(params, diabetes, metric="loss", seed=0)
    hp = resolve_params(params, "regression")
    assert split_loss(result.model, diabetes.x_val, diabetes.y_val, hp, "regression", 1) == \
        pytest.approx(result.history[-1]["value"], rel=1e-6)
    assert hp["huber_delta"] == 0.5 and result.history[-1]["value"] < 1.0  # standardized, not in the target's units


def test_stacked_members_score_the_loss_as_fit_alone_does(digits: Splits):
    configs = [{**MLP, "lr": 0.05}, {**MLP, "lr": 0.2, "epochs": 2}]
    stacked = fit_stack(configs, digits, metric="loss", seeds=[1, 2])
    for config, seed, result in zip(configs, [1, 2], stacked):
        solo = fit(config, digits, metric="loss", seed=seed)
        assert [r["value"] for r in result.history] == pytest.approx([r["value"] for r in solo.history], rel=1e-4)
        assert all(r["value"] == r["val_loss"] and r["train_loss"] > 0 for r in result.history)
