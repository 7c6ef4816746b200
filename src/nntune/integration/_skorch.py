"""The skorch callback: each epoch of a skorch net's fit reported to a trial.

Optuna's callback reports one number per epoch, the ``monitor`` column of the net's
history. This one reports that number as the trial's value and, beside it, the epoch's row
under the names nntune's diagnosis reads, so that ``nntune show``, the report and the
dashboard diagnose a skorch model's curves as they do the built-in trainer's:

- ``train_loss`` as it is, ``valid_loss`` as ``val_loss``, ``valid_acc`` as ``val_acc`` (any
  ``valid_`` column as ``val_``), other scores as they are;
- the epoch's duration (``dur``) as ``epoch_time``;
- the learning rate of the net's optimizer's first parameter group at the epoch's last
  training batch as ``lr``: the rate the epoch trained at (skorch's ``LRScheduler`` steps
  an epoch scheduler at the epoch's end, perhaps before this callback's turn).

Bookkeeping columns (``batches``, ``*_best`` flags, batch counts) are left out. The step is
the history's ``epoch``, the number of epochs trained (1 after the first), as the built-in
trainer counts them and ASHA's rungs are set; Optuna's callback reports it less one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import skorch.callbacks

from nntune.exceptions import ConfigError
from nntune.integration._report import monitored, report_epoch, scalar

_SKIPPED = ("epoch", "dur", "batches", "train_batch_count", "valid_batch_count")


def epoch_record(row: Mapping[str, Any]) -> dict[str, float]:
    """One row of a skorch history as an nntune epoch record (see the module's text)."""
    out: dict[str, float] = {}
    for key, value in row.items():
        number = None if key in _SKIPPED or key.endswith("_best") else scalar(value)
        if number is not None:  # a list, a string, a flag: not a curve
            out["val_" + key[len("valid_"):] if key.startswith("valid_") else key] = number
    if isinstance(row.get("dur"), (int, float)):
        out["epoch_time"] = float(row["dur"])
    return out


def first_lr(optimizer: Any) -> float | None:
    """The learning rate of ``optimizer``'s first parameter group now, or None."""
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else None


class SkorchPruningCallback(skorch.callbacks.Callback):
    """Report ``monitor`` (a column of the net's history, e.g. ``"valid_acc"``) to ``trial``
    at the end of each epoch, with the epoch's whole record (see the module's text), and
    raise :class:`~nntune.exceptions.TrialPruned` out of ``net.fit`` when the study's
    scheduler stops the trial, as Optuna's callback does, or
    :class:`~nntune.exceptions.TrialDiverged` when the value or a loss is not finite.

    Give it with the net's callbacks: ``NeuralNetClassifier(..., callbacks=[SkorchPruningCallback(trial, "valid_acc")])``.
    A clone of the net (sklearn's ``clone``, as ``cross_val_score`` and ``GridSearchCV`` make)
    reports to the same trial.
    """

    def __init__(self, trial: Any, monitor: str) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError("monitor", f"expected the name of a history column such as 'valid_acc', got {monitor!r}")
        self.trial = trial  # public, as skorch and sklearn read a callback's parameters by name
        self.monitor = monitor

    def __sklearn_clone__(self) -> SkorchPruningCallback:
        # sklearn's clone of the net (cross_val_score, GridSearchCV) would deep-copy the trial,
        # which holds the study's storage; the clone reports to the same trial instead.
        return SkorchPruningCallback(self.trial, self.monitor)

    def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:
        self.lr_: float | None = None  # the rate of the epoch's latest training batch

    def on_batch_begin(self, net: Any, batch: Any = None, training: bool = False, **kwargs: Any) -> None:
        if training:
            self.lr_ = first_lr(getattr(net, "optimizer_", None))

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        history = net.history
        if not history:
            return
        row = history[-1]
        if self.monitor not in row:
            columns = sorted(k for k in row if k not in _SKIPPED and not k.endswith("_best"))
            raise ConfigError("monitor", f"{self.monitor!r} is not a column of the net's history; it has "
                                         f"{', '.join(map(repr, columns))}")
        epoch = int(row["epoch"])
        record: dict[str, Any] = epoch_record(row)
        lr = getattr(self, "lr_", None)
        if lr is None:  # an epoch that trained on no batch
            lr = first_lr(getattr(net, "optimizer_", None))
        if lr is not None:
            record["lr"] = lr
        report_epoch(self.trial, self.monitor, monitored("monitor", self.monitor, row[self.monitor]), epoch, record)
