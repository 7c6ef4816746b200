"""A solo run's checkpoint: what :func:`nntune.train.loop.fit` saves after each epoch, and
how a run resumes from it with its random streams where they stopped."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.models import set_dropout
from nntune.train.optim import LrSchedule, restore_optimizer


def checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    epoch: int,
    iterations: int,
    hp: Mapping[str, Any],
    batch_gen: torch.Generator,
) -> dict[str, Any]:
    """Everything a resumed run needs, as tensors and plain values (``weights_only`` loadable)."""
    rng = {"torch": torch.get_rng_state(), "batches": batch_gen.get_state()}
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


def resume(
    path: str | Path,
    hp: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    device: torch.device,
    batch_gen: torch.Generator,
) -> tuple[int, int]:
    """Load a checkpoint into freshly built objects with the new ``hp`` in effect.

    Returns the checkpoint's (epoch, iterations). The random streams continue where they
    stopped, so resuming with unchanged params reproduces an uninterrupted run.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError("resume_from", f"no such checkpoint: {file}")
    state = torch.load(file, map_location=device, weights_only=True)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise ConfigError("resume_from", f"checkpoint {file} does not fit this model: {str(err).splitlines()[0]}") from err
    restore_optimizer(optimizer, schedule, state, hp)
    set_dropout(model, float(hp["dropout"]))
    rng = state.get("rng") or {}
    if "torch" in rng:
        torch.set_rng_state(rng["torch"].cpu())
    if "batches" in rng:
        batch_gen.set_state(rng["batches"].cpu())
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"].cpu())
    return int(state["epoch"]), int(state["iterations"])
