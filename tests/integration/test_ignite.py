"""The Ignite handler in real Ignite trainings: each evaluation reported with the record the
diagnosis reads, trials stopped by the study's scheduler, a diverging one recorded as
diverged, a metric name that is not there refused in one line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import nntune
from nntune.exceptions import ConfigError
from nntune.trial import TrialState
from tests.integration.digits_data import digits_loaders
from tests.integration.framework_contract import check_the_scheduler_stops_trials, check_tiny_and_huge_rates
from tests.integration.lazy_module import lazy, needed

ignite_engine = lazy("ignite.engine")
ignite_metrics = lazy("ignite.metrics")
Events = lazy("ignite.engine", "Events")
PyTorchIgnitePruningHandler = lazy("nntune.integration._ignite", "PyTorchIgnitePruningHandler")  # imports Ignite
_needs = needed("ignite")


def fit(trial, lr: float, epochs: int, *, metric: str = "accuracy", train_metrics: bool = True) -> float:
    """Optuna's Ignite example, with nntune's trial: a trainer, a validation evaluator with
    the handler on its COMPLETED event, run after each training epoch."""
    torch.manual_seed(trial.number)
    train, val = digits_loaders()
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    trainer = ignite_engine.create_supervised_trainer(model, optimizer, loss)
    metrics = {"accuracy": ignite_metrics.Accuracy(), "loss": ignite_metrics.Loss(loss)}
    evaluator = ignite_engine.create_supervised_evaluator(model, metrics=metrics)
    train_evaluator = ignite_engine.create_supervised_evaluator(model, metrics=metrics) if train_metrics else None
    handler = PyTorchIgnitePruningHandler(trial, metric, trainer, train_evaluator=train_evaluator, optimizer=optimizer)
    evaluator.add_event_handler(Events.COMPLETED, handler)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine) -> None:
        if train_evaluator is not None:
            train_evaluator.run(train)
        evaluator.run(val)

    trainer.run(train, max_epochs=epochs)
    return float(evaluator.state.metrics["accuracy"])


def test_each_evaluation_is_reported_with_the_record_diagnosis_reads():
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 0.3, 0.3), epochs=5), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and sorted(trial.intermediate_values) == [1, 2, 3, 4, 5]
    records = trial.metrics
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5]
    last = records[-1]
    assert {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "value", "lr"} <= set(last)
    assert last["value"] == last["val_accuracy"] == trial.intermediate_values[5] == pytest.approx(trial.value)
    assert last["lr"] == 0.3 and last["train_loss"] < records[0]["train_loss"]
    assert trial.value > 0.5  # well above the 0.1 of chance after 75 plain SGD steps


def test_a_tiny_learning_rate_is_diagnosed_and_a_huge_one_diverges():
    check_tiny_and_huge_rates(lambda t, lr, epochs: fit(t, lr=lr, epochs=epochs), metric="accuracy")


def test_the_studys_scheduler_stops_trials_inside_the_run():
    check_the_scheduler_stops_trials(lambda t, lr, epochs: fit(t, lr=lr, epochs=epochs, train_metrics=False),
                                     good_lr=0.5)


def test_a_metric_the_evaluator_lacks_is_one_line_naming_what_it_has():
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    with pytest.raises(ConfigError, match=r"^metric: 'f1' is not a metric of the evaluator; it has 'accuracy', 'loss'$"):
        fit(trial, lr=0.1, epochs=1, metric="f1", train_metrics=False)
    with pytest.raises(ConfigError, match=r"^trainer: expected an ignite.engine.Engine, got str$"):
        PyTorchIgnitePruningHandler(trial, "accuracy", "trainer")


def test_a_study_of_several_objectives_records_each_evaluation_and_runs_each_trial_to_its_end():
    # should_prune is undefined there; the handler cannot leave it out as a user's loop would
    study = nntune.create_study(directions=["maximize", "minimize"])
    study.optimize(lambda t: (fit(t, lr=t.suggest_float("lr", 0.3, 0.3), epochs=2, train_metrics=False), 1.0),
                   n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE, trial.error
    assert sorted(trial.intermediate_values) == [1, 2] and "val_loss" in trial.metrics[-1]


def test_on_the_trainer_itself_its_metrics_are_recorded_as_training_ones():
    # A handler on the trainer's EPOCH_COMPLETED reads the trainer's metrics (a running
    # average of the batch loss): they are training curves, not validation ones.
    def fit_on_trainer(trial, metric: str = "loss") -> float:
        torch.manual_seed(0)
        train, _ = digits_loaders()
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
        trainer = ignite_engine.create_supervised_trainer(model, torch.optim.SGD(model.parameters(), lr=0.3),
                                                          nn.CrossEntropyLoss())
        ignite_metrics.RunningAverage(output_transform=lambda loss: loss).attach(trainer, "loss")
        trainer.add_event_handler(Events.EPOCH_COMPLETED, PyTorchIgnitePruningHandler(trial, metric, trainer))
        trainer.run(train, max_epochs=2)
        return float(trainer.state.metrics["loss"])

    study = nntune.create_study(direction="minimize", pruner=nntune.pruners.NopPruner())
    study.optimize(fit_on_trainer, n_trials=1)
    (trial,) = study.trials
    last = trial.metrics[-1]
    assert sorted(trial.intermediate_values) == [1, 2] and not any(k.startswith("val_") for k in last)
    assert last["train_loss"] == last["value"] == pytest.approx(trial.value)
    with pytest.raises(ConfigError, match=r"^metric: 'accuracy' is not a metric of the trainer; it has 'loss'$"):
        fit_on_trainer(study.ask(), metric="accuracy")


def test_a_per_class_metric_is_refused_in_one_line_as_not_one_number():
    # Precision(average=False) gives one precision per class: no single value to report
    torch.manual_seed(0)
    _, val = digits_loaders(200)
    model = nn.Sequential(nn.Linear(64, 10))
    trainer = ignite_engine.create_supervised_trainer(model, torch.optim.SGD(model.parameters(), lr=0.1),
                                                      nn.CrossEntropyLoss())
    evaluator = ignite_engine.create_supervised_evaluator(model, metrics={"precision": ignite_metrics.Precision()})
    evaluator.add_event_handler(Events.COMPLETED, PyTorchIgnitePruningHandler(nntune.create_study().ask(),
                                                                              "precision", trainer))
    with pytest.raises(ConfigError, match=r"^metric: 'precision' is not one number but 10 numbers; monitor a score "
                                          r"averaged to one number"):
        evaluator.run(val)
