"""Learning-rate schedules: an optional linear warm-up, then a constant, step, exponential,
plateau or cosine schedule, stepped once per epoch (the last two floor each parameter group
at its multiple of ``lr_min``); saved with a checkpoint and restored with a new rate's scale.
:mod:`nntune.train.optim` re-exports these names."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch.optim import lr_scheduler

from nntune.train.optim_settings import OPTIM_DEFAULTS, SCHEDULES, fraction, number, pick

# A torch scheduler's attributes that hold a schedule's settings rather than its progress.
SCHEDULE_SETTINGS = ("step_size", "gamma", "eta_min", "factor", "patience", "min_lrs")
# Exponential decay with the notes' pace (x0.1 over 8 epochs) when lr_gamma is not given.
EXPONENTIAL_GAMMA = 0.1 ** (1 / 8)


def floors(optimizer: torch.optim.Optimizer, lr_min: float) -> list[float]:
    """Each group's lowest rate: ``lr_min`` times its ``lr_mult``, so a backbone's rate stays
    its multiple of the head's down to the floor (and never climbs towards ``lr_min``)."""
    return [lr_min * group.get("lr_mult", 1.0) for group in optimizer.param_groups]


class GroupCosineLR(lr_scheduler.CosineAnnealingLR):
    """torch's cosine annealing (the same recursive steps) with each group's floor at
    :func:`floors` instead of one ``eta_min`` for all, and never above the group's starting
    rate: the schedule goes down to ``lr_min``, so a rate that starts below it stays where it
    starts (torch's climbs to ``eta_min``: a searched ``lr`` below ``lr_min`` would end there)."""

    def etas(self) -> list[float]:
        return [min(eta, base) for eta, base in zip(floors(self.optimizer, self.eta_min), self.base_lrs)]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        t, period = self.last_epoch, self.T_max
        groups = self.optimizer.param_groups
        etas = self.etas()
        if t == 0:  # built: the rate as the optimizer (or a warm-up) left it
            return [float(g["lr"]) for g in groups]
        if (t - 1 - period) % (2 * period) == 0:
            return [g["lr"] + (base - eta) * (1 - math.cos(math.pi / period)) / 2
                    for g, base, eta in zip(groups, self.base_lrs, etas)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (g["lr"] - eta) + eta for g, eta in zip(groups, etas)]


class LrSchedule:
    """An optional linear warm-up followed by the main schedule; stepped once per epoch.

    With ``warmup_epochs`` = w, epoch k (1-based, k <= w) trains at lr * k/(w+1) and epoch
    w+1 at the full rate; the main schedule counts its epochs from there. ``plateau``
    watches the validation loss passed to :meth:`step`. ``lr_min`` (cosine, plateau) is the
    floor of the base rate; a backbone's floor is ``lr_min * backbone_lr_mult``.

    ``start``: the epochs the run had trained when this schedule took over (0, or the
    epoch of a change, :meth:`restart`). Its warm-up still ends at epoch w of the run (none
    is left once ``start`` >= w) and its main schedule counts from the later of the two: a
    cosine's period is the epochs that remain, a step or exponential decay counts its steps
    from there.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params: Mapping[str, Any], epochs: int) -> None:
        self.kind = pick(params, "lr_schedule", SCHEDULES)
        self.warmup_epochs = int(number(params, "warmup_epochs", 0))
        # Kept so that restart() can build the same schedule again from another epoch.
        self.optimizer, self._params, self._epochs = optimizer, dict(params), epochs
        self._build(0)

    def _build(self, start: int) -> None:
        optimizer, params, kind = self.optimizer, self._params, self.kind
        self.start = start
        self.epochs_done = start
        self.warmup: lr_scheduler.LinearLR | None = None
        if start < self.warmup_epochs:  # epoch k of the run at lr * k/(w+1), from epoch start+1 on
            w = self.warmup_epochs
            self.warmup = lr_scheduler.LinearLR(
                optimizer, start_factor=(start + 1) / (w + 1), end_factor=1.0, total_iters=w - start
            )
        self.main: lr_scheduler.LRScheduler | None
        if kind == "step":
            step = int(number(params, "lr_step_epochs", OPTIM_DEFAULTS["lr_step_epochs"], low=1))
            self.main = lr_scheduler.StepLR(optimizer, step_size=step, gamma=number(params, "lr_gamma", 0.1))
        elif kind == "exponential":
            self.main = lr_scheduler.ExponentialLR(optimizer, gamma=number(params, "lr_gamma", EXPONENTIAL_GAMMA))
        elif kind == "plateau":
            self.main = lr_scheduler.ReduceLROnPlateau(
                optimizer,
                mode="min",
                factor=fraction(params, "lr_factor", OPTIM_DEFAULTS["lr_factor"]),
                patience=int(number(params, "lr_patience", OPTIM_DEFAULTS["lr_patience"])),
                min_lr=floors(optimizer, number(params, "lr_min", 0.0)),
            )
        elif kind == "cosine":
            self.main = GroupCosineLR(optimizer, T_max=self.period(self._epochs), eta_min=number(params, "lr_min", 0.0))
        else:
            self.main = None

    def period(self, epochs: int) -> int:
        """A cosine's length in a run of ``epochs``: from the end of its warm-up, or from the
        epoch it took over, to the run's last epoch (at least 1)."""
        return max(1, epochs - max(self.start, self.warmup_epochs))

    def restart(self, start: int, lr: float) -> float:
        """Begin this schedule afresh after ``start`` epochs of the run, at the base rate
        ``lr`` (times each group's ``lr_mult``); returns the factor of ``lr`` its first epoch
        trains at (below 1 only within the warm-up).

        The rate is set here rather than taken from the optimizer, whose rate may be where an
        earlier schedule had decayed it to: a schedule changed while training and one changed
        on a resume (whose optimizer is built at the base rate) then begin alike.
        """
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] = lr * group.get("lr_mult", 1.0)
        self._build(start)
        return 1.0 if self.warmup is None else self.warmup.start_factor

    def step(self, val_loss: float) -> None:
        """Advance one epoch (call after the epoch's validation)."""
        self.epochs_done += 1
        if self.warmup is not None and self.epochs_done <= self.warmup_epochs:
            self.warmup.step()
        elif isinstance(self.main, lr_scheduler.ReduceLROnPlateau):
            self.main.step(val_loss)
        elif self.main is not None:
            self.main.step()

    def fit_length(self, epochs: int) -> None:
        """Make ``epochs`` a cosine schedule's length from now on (other kinds have none).

        The period becomes :meth:`period` (counted from the epoch the schedule took over, so
        a schedule changed mid-run keeps its start) and the rate the one that period gives
        at the epochs done, as if the run had been planned that long. Going on from the rate
        reached instead would leave a run whose old period had ended at ``lr_min`` there for
        all its new epochs (torch's cosine steps multiply the rate reached).
        """
        self._epochs = epochs
        if not isinstance(self.main, GroupCosineLR):
            return
        t_max = self.period(epochs)
        if self.main.T_max == t_max:
            return
        self.main.T_max = t_max
        done = self.main.last_epoch
        if done <= 0:  # still warming up: the warm-up sets the rate, the cosine starts later
            return
        factor = (1 + math.cos(math.pi * min(done, t_max) / t_max)) / 2
        etas = self.main.etas()
        rates = [eta + (base - eta) * factor for base, eta in zip(self.main.base_lrs, etas)]
        for group, rate in zip(self.main.optimizer.param_groups, rates):
            group["lr"] = rate
        self.main._last_lr = rates  # type: ignore[attr-defined]

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "warmup_epochs": self.warmup_epochs,
            "start": self.start,
            "epochs_done": self.epochs_done,
            "warmup": None if self.warmup is None else self.warmup.state_dict(),
            "main": None if self.main is None else self.main.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any], *, lr_scale: float = 1.0) -> bool:
        """Restore the schedule's progress, its base rates scaled by ``lr_scale``.

        A resumed run with a new ``lr`` passes new_lr / old_lr, so the whole schedule is
        rescaled rather than restarted. A saved schedule of another kind or warm-up length
        is ignored (returns False): the caller then starts this one where the run is
        (:meth:`restart`). The schedule's own settings (``lr_gamma``, ``lr_step_epochs``,
        ``lr_min``, a plateau's ``lr_factor`` and ``lr_patience``) stay the ones this
        schedule was built with: the new params', not the saved ones; the epoch it took over
        at stays the saved one.
        """
        if state.get("kind") != self.kind or state.get("warmup_epochs") != self.warmup_epochs:
            return False
        self.epochs_done = int(state["epochs_done"])
        self.start = int(state.get("start", 0))  # a checkpoint written before it was saved: from the run's start
        if state.get("warmup") is None:  # taken over after its warm-up: none to step
            self.warmup = None
        for scheduler, saved in ((self.warmup, state["warmup"]), (self.main, state["main"])):
            if scheduler is None or saved is None:
                continue
            ours = {name: getattr(scheduler, name) for name in SCHEDULE_SETTINGS if hasattr(scheduler, name)}
            scheduler.load_state_dict(dict(saved))
            for name, value in ours.items():
                setattr(scheduler, name, value)
            for attr in ("base_lrs", "_last_lr"):
                values = getattr(scheduler, attr, None)
                if isinstance(values, list):
                    setattr(scheduler, attr, [v * lr_scale for v in values])
        return True
