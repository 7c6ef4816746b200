"""A solo run's checkpoint: what :func:`nntune.train.loop.fit` saves after each epoch, and
how a run resumes from it with its random streams where they stopped."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.models import renamed_head, set_dropout
from nntune.train.optim import LrSchedule, restore_optimizer


def checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    epoch: int,
    iterations: int,
    hp: Mapping[str, Any],
    batch_gen: torch.Generator,
    augment_gen: torch.Generator | None = None,
) -> dict[str, Any]:
    """Everything a resumed run needs, as tensors and plain values (``weights_only`` loadable);
    ``augment_gen``: the augmentation's own generator, whose draws continue on resume."""
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
    }


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


def resume(
    path: str | Path,
    hp: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    device: torch.device,
    batch_gen: torch.Generator,
    augment_gen: torch.Generator | None = None,
) -> tuple[int, int]:
    """Load a checkpoint into freshly built objects with the new ``hp`` in effect.

    Returns the checkpoint's (epoch, iterations). The random streams continue where they
    stopped, so resuming with unchanged params reproduces an uninterrupted run.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError("resume_from", f"no such checkpoint: {file}")
    state = read_checkpoint(file, device)
    try:
        model.load_state_dict(renamed_head(state["model"], model))  # a ResNet's dropout switched on or off
    except RuntimeError as err:
        raise ConfigError("resume_from", f"checkpoint {file} does not fit this model: {str(err).splitlines()[0]}") from err
    restore_optimizer(optimizer, schedule, state, hp)
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
    return int(state["epoch"]), int(state["iterations"])
