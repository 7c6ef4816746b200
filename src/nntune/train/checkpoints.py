"""A solo run's checkpoint: what :func:`nntune.train.loop.fit` saves after each epoch, and
how a run resumes from it with its random streams where they stopped."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.epochs import EarlyStopping
from nntune.train.models import renamed_head, set_dropout
from nntune.train.optim import LrSchedule, restore_optimizer
from nntune.train.regroup import for_optimizer


def checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    epoch: int,
    iterations: int,
    hp: Mapping[str, Any],
    batch_gen: torch.Generator,
    augment_gen: torch.Generator | None = None,
    stopping: EarlyStopping | None = None,
    record: Mapping[str, Any] | None = None,
    best_state: Mapping[str, torch.Tensor] | None = None,
    best_record: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a resumed run needs, as tensors and plain values (``weights_only`` loadable);
    ``augment_gen``: the augmentation's own generator, whose draws continue on resume;
    ``stopping``, ``record`` (this epoch's), ``best_state`` (the weights early stopping
    keeps) and ``best_record`` (the best epoch's): where early stopping stands, so a resumed
    run stops at the epoch, and returns the weights and value, the uninterrupted one would."""
    rng = {"torch": torch.get_rng_state(), "batches": batch_gen.get_state()}
    if augment_gen is not None:
        rng["augment"] = augment_gen.get_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        rng["cuda"] = torch.cuda.get_rng_state()
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": schedule.state_dict(),
        "epoch": epoch,
        "iterations": iterations,
        "params": dict(hp),
        "rng": rng,
        **({} if stopping is None else {"stopping": stopping_state(stopping, epoch, record, best_state, best_record)}),
    }


def stopping_state(stopping: EarlyStopping, epoch: int, record: Mapping[str, Any] | None,
                   best_state: Mapping[str, torch.Tensor] | None,
                   best_record: Mapping[str, Any] | None) -> dict[str, Any]:
    """Early stopping's counts after ``epoch`` and, where its best epoch is an earlier one,
    that epoch's weights (a checkpoint of the current weights would otherwise be all a
    resumed run could return)."""
    out: dict[str, Any] = {"best_epoch": stopping.best_epoch, "best_value": stopping.best_value,
                           "bad_epochs": stopping.bad_epochs, "record": dict(record or {}),
                           "best_record": dict(best_record or {})}
    if best_state is not None and stopping.best_epoch != epoch:
        out["best_model"] = dict(best_state)
    return out


def check_checkpoint_path(path: str | Path | None) -> None:
    """A ConfigError naming ``checkpoint_path`` when it is a folder: found before the first
    epoch trains, not when its checkpoint cannot be written."""
    if path is not None and Path(path).is_dir():
        raise ConfigError("checkpoint_path", f"{path} is a folder; give a file name in it")


# What a checkpoint must hold for a run to go on from it.
REQUIRED_KEYS = ("model", "epoch", "iterations")


def read_checkpoint(file: Path, device: torch.device) -> dict[str, Any]:
    """The checkpoint in ``file``, or a ConfigError naming ``resume_from`` when the file is
    not one (empty, cut short, another format, or a dict :func:`checkpoint` did not write)."""
    try:
        state = torch.load(file, map_location=device, weights_only=True)
    except pickle.UnpicklingError as err:  # torch's own text here advises weights_only=False: never
        raise ConfigError("resume_from", f"{file} is not a checkpoint: not a torch file of tensors and plain "
                                         "values (nothing else is unpickled)") from err
    except Exception as err:  # an empty or cut file: EOFError, RuntimeError, ... by format
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError("resume_from", f"{file} is not a readable checkpoint: {reason}") from err
    missing = [key for key in REQUIRED_KEYS if key not in state] if isinstance(state, dict) else list(REQUIRED_KEYS)
    if missing:
        raise ConfigError("resume_from", f"{file} is not a training checkpoint (no {', '.join(missing)})")
    return state


@dataclass
class Resumed:
    """Where a checkpoint leaves a run: its epoch and iterations, and early stopping's state
    (``best_state``: the weights it keeps, None where it keeps none)."""

    epoch: int
    iterations: int
    best_state: dict[str, torch.Tensor] | None
    best_record: dict[str, Any] | None


def resume(
    path: str | Path,
    hp: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    device: torch.device,
    batch_gen: torch.Generator,
    augment_gen: torch.Generator | None = None,
    *,
    stopping: EarlyStopping | None,
) -> Resumed:
    """Load a checkpoint into freshly built objects with the new ``hp`` in effect.

    Returns the checkpoint's epoch and iterations, and sets ``stopping`` (the run's early
    stopping, built from ``hp``) to the checkpoint's best epoch, value and count of epochs
    without improvement (``None``: the caller's early stopping starts afresh). The random streams continue where they stopped, so resuming with unchanged
    params reproduces an uninterrupted run.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError("resume_from", f"no such checkpoint: {file}")
    state = read_checkpoint(file, device)
    try:
        model.load_state_dict(renamed_head(state["model"], model))  # a ResNet's dropout switched on or off
    except RuntimeError as err:
        raise ConfigError("resume_from", f"checkpoint {file} does not fit this model: {str(err).splitlines()[0]}") from err
    # Built for hp's weight decay: the checkpoint's state regrouped where that decay was 0 on one side only.
    restore_optimizer(optimizer, schedule, for_optimizer(state, model, optimizer, hp), hp)
    set_dropout(model, float(hp["dropout"]))
    rng = state.get("rng") or {}
    if "torch" in rng:
        torch.set_rng_state(rng["torch"].cpu())
    if "batches" in rng:
        batch_gen.set_state(rng["batches"].cpu())
    if "augment" in rng and augment_gen is not None:  # else a resumed run's crops and flips start over
        augment_gen.set_state(rng["augment"].cpu())
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"].cpu())
    epoch = int(state["epoch"])
    if stopping is None:
        return Resumed(epoch, int(state["iterations"]), None, None)
    best_state = restore_stopping(state, hp, stopping, model, epoch)
    saved = state.get("stopping")
    key = "record" if stopping.best_epoch == epoch else "best_record"  # an early stopping switched on here: its own
    best_record = dict(saved[key]) if isinstance(saved, Mapping) and saved.get(key) else None
    return Resumed(epoch, int(state["iterations"]), best_state, best_record)


def restore_stopping(state: Mapping[str, Any], hp: Mapping[str, Any], stopping: EarlyStopping,
                     model: nn.Module, epoch: int) -> dict[str, torch.Tensor] | None:
    """Set ``stopping`` as the checkpoint left it and return the weights it keeps, as the
    uninterrupted run had them after ``epoch``'s changes: switched on there (the checkpoint is
    written before an epoch's changes are taken), the best is that epoch's weights; switched
    off, none. A checkpoint without the state (a stacked member's) starts counting afresh."""
    saved = state.get("stopping")
    if not isinstance(saved, Mapping):
        return None
    was_on = bool((state.get("params") or {}).get("early_stopping"))
    if stopping.enabled and not was_on:
        stopping.restart(epoch, float(saved["record"]["value"]))
    else:
        stopping.best_epoch, stopping.bad_epochs = int(saved["best_epoch"]), int(saved["bad_epochs"])
        stopping.best_value = float(saved["best_value"])
    if not stopping.enabled:
        return None
    best = saved.get("best_model") if stopping.best_epoch != epoch else None
    # Keys as this model names them (a ResNet's head with dropout switched on or off).
    weights = renamed_head(best, model) if isinstance(best, Mapping) else model.state_dict()
    return {k: v.detach().clone() for k, v in weights.items()}
