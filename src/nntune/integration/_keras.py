"""The Keras callback: each epoch of a Keras 3 ``model.fit`` reported to a trial.

Keras 3 runs on PyTorch (``KERAS_BACKEND=torch``), so a model written for KerasTuner trains
under nntune unchanged. Optuna's callback reports one number per epoch, the ``monitor``
entry of the epoch's logs. This one reports that number as the trial's value and, beside
it, the logs under the names nntune's diagnosis reads, so that ``nntune show``, the report
and the dashboard diagnose a Keras model's curves as they do the built-in trainer's:

- ``val_*`` entries as they are (``val_loss``, ``val_accuracy``), the training ones with
  ``train_`` before them (``loss`` as ``train_loss``, ``accuracy`` as ``train_accuracy``);
- the optimizer's learning rate at the epoch's first training step as ``lr``: the rate the
  epoch trained at (``ReduceLROnPlateau`` lowers it when the epoch ends, perhaps before this
  callback's turn; the ``learning_rate`` entry that it and ``LearningRateScheduler`` add to
  the logs is that rate, not a training metric, and is left out).

The step is the number of epochs trained (1 after the first), as the built-in trainer
counts them and ASHA's rungs are set; Optuna's callback reports Keras's 0-based epoch.

An epoch ``model.fit`` did not validate (``validation_freq=2``: every other one) has no
``val_*`` logs; a ``val_*`` monitor reports nothing then, as Lightning's callback skips
unvalidated epochs. A monitor that is in no validated epoch's logs is refused in one line,
and so is one that no epoch of the fit had (``model.fit`` given no validation data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from nntune.exceptions import ConfigError
from nntune.integration._report import monitored, report_epoch, scalar


def epoch_record(logs: Mapping[str, Any]) -> dict[str, float]:
    """An epoch's Keras logs as an nntune epoch record (see the module's text); entries
    that are not one number are left out."""
    out: dict[str, float] = {}
    for key, value in logs.items():
        if key.startswith("learning_rate"):  # a callback's copy of the rate (one per optimizer)
            continue
        number = scalar(value)
        if number is not None:
            out[key if key.startswith("val_") else f"train_{key}"] = number
    return out


def current_lr(optimizer: Any) -> float | None:
    """The optimizer's learning rate now (a schedule's value at the current step), or None."""
    rate = getattr(optimizer, "learning_rate", None)
    if rate is None:
        return None
    try:
        return float(keras.ops.convert_to_numpy(rate))
    except (TypeError, ValueError):
        return None


class KerasPruningCallback(keras.callbacks.Callback):
    """Report ``monitor`` (an entry of the epoch's logs, e.g. ``"val_accuracy"``) to ``trial``
    every ``interval`` epochs, with the epoch's whole record (see the module's text), and
    raise :class:`~nntune.exceptions.TrialPruned` out of ``model.fit`` when the study's
    scheduler stops the trial, as Optuna's callback does, or
    :class:`~nntune.exceptions.TrialDiverged` when the value or a loss is not finite.

    Give it with the fit's callbacks: ``model.fit(..., callbacks=[KerasPruningCallback(trial, "val_accuracy")])``.
    """

    def __init__(self, trial: Any, monitor: str, interval: int = 1) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError("monitor", f"expected the name of a logged metric such as 'val_accuracy', got {monitor!r}")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ConfigError("interval", f"must be a whole number of epochs >= 1, got {interval!r}")
        self._trial = trial
        self._monitor = monitor
        self._interval = interval
        self._validated = False  # whether model.fit validated the current epoch
        self._ended: list[bool] = []  # per epoch of this fit: whether its logs had the monitor
        self._lr: float | None = None  # the rate of the epoch's first training step

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._ended = []

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._validated = False
        self._lr = None

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self._lr is None:  # read once an epoch: on a GPU each read waits for the device
            self._lr = current_lr(getattr(self.model, "optimizer", None))

    def on_test_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._validated = True  # model.fit's validation runs as an evaluate with the fit's callbacks

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._ended and not any(self._ended):
            hint = ("; val_ entries need model.fit's validation_data or validation_split, and a "
                    "validation_freq no greater than its epochs") if self._monitor.startswith("val_") else ""
            raise ConfigError("monitor", f"{self._monitor!r} was in no epoch's logs of the fit{hint}")

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        self._ended.append(self._monitor in logs)
        trained = int(epoch) + 1  # epochs trained, the step every nntune scheduler counts in
        if trained % self._interval != 0:
            return
        if self._monitor not in logs and self._monitor.startswith("val_") and not self._validated:
            return  # an epoch model.fit did not validate (validation_freq): nothing to report
        if self._monitor not in logs:
            raise ConfigError("monitor", f"{self._monitor!r} is not in the epoch's logs; they have "
                                         f"{', '.join(map(repr, sorted(logs))) or 'nothing'}")
        record: dict[str, Any] = epoch_record(logs)
        lr = self._lr if self._lr is not None else current_lr(getattr(self.model, "optimizer", None))
        if lr is not None:
            record["lr"] = lr
        value = monitored("monitor", self._monitor, logs[self._monitor])
        report_epoch(self._trial, self._monitor, value, trained, record)
