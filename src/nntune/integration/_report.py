"""What every framework's callback does once it has an epoch's value and record: report
them, end a trial whose value or loss is not finite as diverged, and stop it when the
study's scheduler says so. A study of several objectives has no pruning: there the epochs are
recorded (the curves diagnosis reads) and the trial runs to its end, as a define-by-run
objective that leaves ``should_prune`` out."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nntune.exceptions import ConfigError, PruningUndefined, TrialDiverged, TrialPruned


def scalar(value: Any) -> float | None:
    """A logged value as one float (a one-element tensor's or array's too); None for a flag,
    text, or several values, which are no curve."""
    if isinstance(value, bool):
        return None
    try:
        return float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError, RuntimeError):  # RuntimeError: a tensor of several values
        return None


def monitored(field: str, name: str, value: Any) -> float:
    """The monitored ``name``'s ``value`` as one float; a :class:`ConfigError` on ``field``
    when it is several numbers (a per-class score: ``average=None``) or no number at all."""
    number = scalar(value)
    if number is None:
        count = _count(value)
        what = f"{count} numbers" if count is not None and count > 1 else f"a {type(value).__name__}"
        raise ConfigError(field, f"{name!r} is not one number but {what}; monitor a score averaged to one "
                                 "number (per-class scores: average='macro' or 'micro')")
    return number


def _count(value: Any) -> int | None:
    """How many numbers a tensor, an array or a list holds; None for anything else."""
    if hasattr(value, "numel"):  # a torch tensor, whose .size() is its shape
        return int(value.numel())
    if isinstance(getattr(value, "size", None), int):  # a numpy array
        return int(value.size)
    return len(value) if isinstance(value, (list, tuple)) else None


def report_epoch(trial: Any, name: str, value: float, epoch: int, record: dict[str, Any], *,
                 agree: Callable[[bool], bool] = bool) -> None:
    """Report ``value`` (the monitored ``name``) at ``epoch`` with ``record``; raise
    :class:`TrialDiverged` when it or a loss is not finite, :class:`TrialPruned` when the
    trial should stop. ``agree`` turns this process's "all finite" into every process's (a
    DDP fit's ranks must stop together, or the others wait for ever)."""
    record["value"] = value
    trial.report(value, epoch, metrics=record)
    losses = [v for k, v in record.items() if k in ("train_loss", "val_loss", "value")]
    if not agree(all(math.isfinite(v) for v in losses)):  # recorded as diverged at this epoch, not as failed
        raise TrialDiverged(epoch, f"{name} or a loss is not finite at epoch {epoch}")
    try:
        prune = trial.should_prune()
    except PruningUndefined:  # several objectives: no pruning; the run goes on, its epochs recorded
        return
    if prune:
        raise TrialPruned(f"trial was pruned at epoch {epoch}")
