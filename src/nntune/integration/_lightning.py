"""The Lightning callback: each epoch of a ``lightning.pytorch`` fit reported to a trial.

What Optuna's callback reports is one number per epoch, the ``monitor`` metric. This one
reports that number as the trial's value at the epoch and, beside it, the record the
built-in trainer writes, so that ``nntune show``, the report and the dashboard diagnose a
Lightning model's curves as they do their own:

- every scalar the module logged (``self.log``), ``/`` read as ``_`` so that ``val/loss``
  is ``val_loss``, and ``x_epoch`` also as ``x``;
- the learning rate of the first optimizer's first parameter group at the epoch's last
  training step (the rate the epoch trained at: an epoch scheduler has stepped by the time
  the epoch's hooks run);
- each Linear or Conv layer's gradient norm and activation statistics, measured on the
  first training batch of the epoch (``nntune.train.stats.LayerProbe``; ``layer_stats=False``
  leaves them out).

The step reported is the number of epochs trained (1 after the first), as the built-in
trainer counts them and ASHA's rungs are set; Optuna's callback reports Lightning's
0-based ``current_epoch``. The report is made once the training epoch has ended, after its
validation: Lightning runs the validation inside the training epoch, so at the validation's
end the epoch's training metrics are not aggregated yet. It waits for the hook after the
epoch's end (the next epoch's start, or the fit's end): Lightning calls a callback's
``on_train_epoch_end`` before the module's own, so what the module logs there (an
accuracy computed over the epoch) would be missing, or the epoch before's. An epoch
without a validation (``check_val_every_n_epoch``) is not reported, unless the fit has no
validation at all. A ``monitor`` the module has not logged by a reported epoch's end is
refused in one line naming what it logged, as the Keras, Ignite and skorch callbacks
refuse theirs (Optuna's warns and trains on with no pruning).

A DDP fit (several processes) needs the trial shared among them: each rank wraps it in
:class:`~nntune.integration.TorchDistributedTrial` (rank 0 the study's trial, the others
``None``) and gives that to its callback. Every rank then reports rank 0's record and gets
the same answer to ``should_prune``, and a loss that is not finite on any rank ends the
trial on all of them, so no rank trains on while the others wait.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, NamedTuple

import lightning.pytorch as pl

from nntune.exceptions import ConfigError, TrialPruned
from nntune.integration._distributed import TorchDistributedTrial
from nntune.integration._report import report_epoch, scalar
from nntune.train.stats import LayerProbe


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Logged metrics as plain floats under names diagnosis reads: ``val/loss`` as
    ``val_loss``; ``train_loss_epoch`` as ``train_loss`` too, unless that is logged itself.
    Anything that is not one number is left out."""
    numbers = ((key.replace("/", "_"), scalar(value)) for key, value in metrics.items())
    out = {key: number for key, number in numbers if number is not None}
    for key in list(out):
        if key.endswith("_epoch") and key[: -len("_epoch")] not in out:
            out[key[: -len("_epoch")]] = out[key]
    return out


class _EpochEnd(NamedTuple):
    """What an ended epoch's report takes that is gone by the time the report is made: its
    number, its learning rate (as its last step started: Lightning steps an epoch scheduler
    before the epoch's end hooks) and its layer statistics (the next epoch's probe replaces
    them)."""

    epoch: int
    lr: float | None
    layers: Any


class PyTorchLightningPruningCallback(pl.Callback):
    """Report ``monitor`` (a name the module logs, e.g. ``"val_acc"``) to ``trial`` at the
    end of each validated epoch, with the epoch's full record, and raise
    :class:`~nntune.exceptions.TrialPruned` out of ``trainer.fit`` when the study's scheduler
    stops the trial (as Optuna's callback does in one process), or
    :class:`~nntune.exceptions.TrialDiverged` when the monitored value or a loss is not
    finite. The objective lets either propagate; the study records the trial as pruned or
    diverged. A ``monitor`` the module did not log raises
    :class:`~nntune.exceptions.ConfigError` out of the fit at the first epoch reported.

    ``check_pruned()``, which Optuna's DDP examples call after ``trainer.fit``, raises the
    pruning again if this callback pruned the fit (say the objective caught it), and does
    nothing otherwise: here every rank's fit raises it already."""

    def __init__(self, trial: Any, monitor: str, *, layer_stats: bool = True) -> None:
        super().__init__()
        self._trial = trial
        self.monitor = monitor
        self.layer_stats = bool(layer_stats)
        self._probe: LayerProbe | None = None
        self._capturing: AbstractContextManager[None] | None = None
        self._probe_state = "idle"  # "wanted" at an epoch's start, "grads" after its forward pass, "done"
        self._validated = False
        self._lr: float | None = None  # the rate of the epoch's latest training step
        self._ended: _EpochEnd | None = None  # an epoch whose report waits for the module's own epoch end
        self._pruned: TrialPruned | None = None  # the pruning this callback raised out of the latest fit

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.world_size > 1 and not isinstance(self._trial, TorchDistributedTrial):
            raise ConfigError("trainer", f"this fit runs {trainer.world_size} processes: give the callback the "
                                         "trial wrapped in TorchDistributedTrial on every rank, or train on one device")
        self._probe = LayerProbe(pl_module) if self.layer_stats else None
        self._ended = None
        self._pruned = None

    def check_pruned(self) -> None:
        """Raise :class:`~nntune.exceptions.TrialPruned` again if the study's scheduler stopped
        the latest fit; nothing otherwise. Optuna's callback needs this call under DDP, where
        its ranks cannot raise the pruning out of the fit; code written for it calls it after
        every fit, so it must exist here too."""
        if self._pruned is not None:
            raise TrialPruned(*self._pruned.args)

    # the layer probe: the first batch of each epoch --------------------------------------------
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._report(trainer)  # the epoch before, now that the module's on_train_epoch_end has logged
        self._validated = False
        self._lr = None
        self._probe_state = "wanted" if self._probe is not None and self._probe.layers else "idle"

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if trainer.optimizers:  # the rate of this step: Lightning steps the schedulers before the batch's end
            self._lr = float(trainer.optimizers[0].param_groups[0]["lr"])
        if self._probe_state == "wanted" and self._probe is not None:
            self._capturing = self._probe.capture()
            self._capturing.__enter__()

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: Any) -> None:
        if self._capturing is not None:  # the forward pass is over: keep its activations
            self._capturing.__exit__(None, None, None)
            self._capturing = None
            self._probe_state = "grads"

    def on_before_optimizer_step(self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Any) -> None:
        # Here the gradients are whole (accumulated) and unscaled under mixed precision.
        if self._probe_state == "grads" and self._probe is not None:
            self._probe.grad_norms()
            self._probe_state = "done"

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._capturing is not None:  # a step that ran no backward: close the hooks, try the next
            self._capturing.__exit__(None, None, None)
            self._capturing = None

    # the report ---------------------------------------------------------------------------
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validated = True

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        has_validation = sum(trainer.num_val_batches or [0]) > 0
        if has_validation and not self._validated:
            return
        lr = self._lr if self._lr is not None or not trainer.optimizers \
            else float(trainer.optimizers[0].param_groups[0]["lr"])
        layers = self._probe.records() if self._probe_state == "done" and self._probe is not None else None
        # epochs trained, the step every nntune scheduler counts in
        self._ended = _EpochEnd(int(trainer.current_epoch) + 1, lr, layers)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._report(trainer)  # the fit's last epoch

    def _report(self, trainer: pl.Trainer) -> None:
        """Report the ended epoch, if one waits, with the metrics logged until now."""
        ended, self._ended = self._ended, None
        if ended is None:
            return
        metrics = scalar_metrics(dict(trainer.callback_metrics))
        name = self.monitor.replace("/", "_")
        if name not in metrics:
            # Trained on, the fit would report nothing and no scheduler could stop it: a
            # misspelt name costs the whole run, so it is refused as the other callbacks do.
            logged = ", ".join(map(repr, sorted(trainer.callback_metrics))) or "nothing"
            raise ConfigError("monitor", f"{self.monitor!r} is not among the metrics the module logged by the end "
                                         f"of epoch {ended.epoch} ({logged}); log it with self.log")
        record: dict[str, Any] = dict(metrics)
        if ended.lr is not None:
            record["lr"] = ended.lr
        if ended.layers is not None:
            record["layers"] = ended.layers
        agree = (lambda finite: bool(trainer.strategy.reduce_boolean_decision(finite, all=True))) \
            if trainer.world_size > 1 else bool  # every rank stops together, or none does
        try:
            report_epoch(self._trial, self.monitor, metrics[name], ended.epoch, record, agree=agree)
        except TrialPruned as pruned:
            self._pruned = pruned
            raise
