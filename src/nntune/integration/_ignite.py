"""The PyTorch Ignite handler: each evaluation of an Ignite training reported to a trial.

Optuna's handler reports one number per evaluation, the ``metric`` of the evaluator it is
attached to. This one reports that number as the trial's value and, beside it, a record
that ``nntune show``, the report and the dashboard diagnose as they do the built-in
trainer's curves:

- every scalar metric of the evaluator as ``val_<name>`` (name the loss metric ``loss``,
  ``Loss(criterion)``, to get ``val_loss``); attached to the trainer itself (its
  ``EPOCH_COMPLETED``, with metrics such as ``RunningAverage`` on the batch loss), its
  metrics are training ones and come as ``train_<name>``;
- with ``train_evaluator``, an evaluator run over the training data before this one, its
  scalar metrics as ``train_<name>``; diagnosis compares ``train_x`` with ``val_x`` to
  tell overfitting from underfitting;
- with ``optimizer``, the learning rate of its first parameter group as ``lr``, as the
  trainer's latest iteration started: the rate the epoch trained at (a scheduler stepped on
  the trainer's ``EPOCH_COMPLETED``, before the evaluation, has moved on to the next
  epoch's).

The step is the trainer's ``state.epoch``, the number of epochs trained (1 after the
first), as the built-in trainer counts them and ASHA's rungs are set; Optuna's handler
reports the same number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ignite.engine

from nntune.exceptions import ConfigError
from nntune.integration._report import monitored, report_epoch, scalar


def scalar_metrics(metrics: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """An Ignite engine's metrics that are one number, as plain floats named ``prefix + name``
    (a confusion matrix or a tuple of values is left out)."""
    numbers = ((prefix + str(name).replace("/", "_"), scalar(value)) for name, value in metrics.items())
    return {name: number for name, number in numbers if number is not None}


class PyTorchIgnitePruningHandler:
    """Report ``metric`` (a metric attached to the evaluator, e.g. ``"accuracy"``) to ``trial``
    each time the evaluator completes, at ``trainer``'s epoch, with the whole record (see the
    module's text), and raise :class:`~nntune.exceptions.TrialPruned` when the study's
    scheduler stops the trial, as Optuna's handler does, or
    :class:`~nntune.exceptions.TrialDiverged` when the value or a loss is not finite.

    Attach it as Optuna's: ``evaluator.add_event_handler(Events.COMPLETED, handler)``.
    """

    def __init__(self, trial: Any, metric: str, trainer: ignite.engine.Engine, *,
                 train_evaluator: ignite.engine.Engine | None = None, optimizer: Any = None) -> None:
        if not isinstance(trainer, ignite.engine.Engine):
            raise ConfigError("trainer", f"expected an ignite.engine.Engine, got {type(trainer).__name__}")
        if train_evaluator is not None and not isinstance(train_evaluator, ignite.engine.Engine):
            raise ConfigError("train_evaluator",
                              f"expected an ignite.engine.Engine, got {type(train_evaluator).__name__}")
        if optimizer is not None and not hasattr(optimizer, "param_groups"):
            raise ConfigError("optimizer", f"expected a torch.optim optimizer, got {type(optimizer).__name__}")
        self._trial = trial
        self._metric = metric
        self._trainer = trainer
        self._train_evaluator = train_evaluator
        self._optimizer = optimizer
        self._lr: float | None = None  # the rate of the trainer's latest iteration
        if optimizer is not None:
            trainer.add_event_handler(ignite.engine.Events.ITERATION_STARTED, self._note_lr)

    def _note_lr(self, engine: ignite.engine.Engine) -> None:
        if self._optimizer.param_groups:
            self._lr = float(self._optimizer.param_groups[0]["lr"])

    def __call__(self, engine: ignite.engine.Engine) -> None:
        metrics = engine.state.metrics
        if self._metric not in metrics:
            engine_name = "trainer" if engine is self._trainer else "evaluator"
            raise ConfigError("metric", f"{self._metric!r} is not a metric of the {engine_name}; it has "
                                        f"{', '.join(map(repr, sorted(metrics))) or 'none'}")
        epoch = int(self._trainer.state.epoch)
        record: dict[str, Any] = {}
        if self._train_evaluator is not None:
            record.update(scalar_metrics(self._train_evaluator.state.metrics, "train_"))
        # The trainer's own metrics are measured on the training data: named val_ they
        # would be read as a validation curve.
        record.update(scalar_metrics(metrics, "train_" if engine is self._trainer else "val_"))
        if self._lr is not None:
            record["lr"] = self._lr
        elif self._optimizer is not None and self._optimizer.param_groups:  # evaluated before any iteration
            record["lr"] = float(self._optimizer.param_groups[0]["lr"])
        value = monitored("metric", self._metric, metrics[self._metric])
        report_epoch(self._trial, self._metric, value, epoch, record)
