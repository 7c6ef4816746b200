"""The skorch callback records the learning rate each epoch trained at, though skorch's
``LRScheduler``, listed before it, steps an epoch scheduler at the epoch's end."""

from __future__ import annotations

import pytest
import torch
from torch import nn

skorch = pytest.importorskip("skorch")

import nntune  # noqa: E402
from nntune.integration import SkorchPruningCallback  # noqa: E402
from tests.integration.test_skorch import Classifier, digits  # noqa: E402


def test_each_epoch_records_the_learning_rate_it_trained_at() -> None:
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    halve = skorch.callbacks.LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    net = skorch.NeuralNetClassifier(Classifier, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.4,
                                     max_epochs=3, batch_size=64, verbose=0,
                                     callbacks=[halve, SkorchPruningCallback(trial, "valid_acc")])
    x, y = digits(200)
    net.fit(x, y)
    records = study.storage.get_trial(study.id, trial.number).metrics
    assert [r["lr"] for r in records] == [0.4, 0.2, 0.1]
    assert [r["lr"] for r in records] == net.history[:, "event_lr"]  # skorch's own record of the rate used
