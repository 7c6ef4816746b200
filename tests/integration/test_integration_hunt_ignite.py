"""The Ignite handler records the learning rate each epoch trained at, though a scheduler
stepped on the trainer's ``EPOCH_COMPLETED`` before the evaluation has moved on."""

from __future__ import annotations

import torch
from torch import nn

import nntune
from tests.integration.digits_data import digits_loaders
from tests.integration.lazy_module import lazy, needed

ignite_engine = lazy("ignite.engine")
ignite_metrics = lazy("ignite.metrics")
Events = lazy("ignite.engine", "Events")
PyTorchIgnitePruningHandler = lazy("nntune.integration._ignite", "PyTorchIgnitePruningHandler")  # imports Ignite
_needs = needed("ignite")


def test_each_epoch_records_the_learning_rate_it_trained_at() -> None:
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    train, val = digits_loaders(200)
    model = nn.Linear(64, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)
    halve = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    trainer = ignite_engine.create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    evaluator = ignite_engine.create_supervised_evaluator(model, metrics={"accuracy": ignite_metrics.Accuracy()})
    evaluator.add_event_handler(Events.COMPLETED, PyTorchIgnitePruningHandler(trial, "accuracy", trainer,
                                                                              optimizer=optimizer))
    used: list[float] = []
    trainer.add_event_handler(Events.EPOCH_STARTED, lambda _: used.append(optimizer.param_groups[0]["lr"]))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: halve.step())
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(val))
    trainer.run(train, max_epochs=3)
    records = study.storage.get_trial(study.id, trial.number).metrics
    assert used == [0.4, 0.2, 0.1]
    assert [r["lr"] for r in records] == used
