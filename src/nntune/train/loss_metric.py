"""The metric ``loss`` measured outside the training loop: a split's loss as the trainer
measures ``val_loss`` each epoch, so that the sealed test look (and a rebuilt model's check
against its recorded value) reads the same quantity the search ranked the trials by."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from nntune.train.basics import EVAL_BATCH, make_loss, predict


def split_loss(model: nn.Module, x: Tensor, y: Tensor, hp: Mapping[str, Any], task_type: str, n_classes: int, *,
               transform: Callable[[Tensor], Tensor] | None = None, batch: int = EVAL_BATCH) -> float:
    """The mean data loss of ``model`` on (``x``, ``y``): ``hp``'s ``loss`` (and
    ``huber_delta``) on the raw outputs in eval mode, against the targets as the model
    trained on them (standardized for a regression), without the L1 penalty or weight decay;
    under ``amp`` on CUDA the outputs are the float16 ones the trainer's validation uses.
    ``hp`` are resolved hyperparameters (``resolve_params``)."""
    device = next(model.parameters(), x).device
    amp = bool(hp.get("amp")) and device.type == "cuda"
    was_training = model.training
    out = predict(model, x, amp=amp, batch=batch, transform=transform)
    model.train(was_training)
    target = y.to(out.device, torch.long if task_type == "classification" else torch.float32)
    loss_fn = make_loss(str(hp["loss"]), task_type, n_classes, float(hp["huber_delta"]))
    with torch.no_grad():
        return float(loss_fn(out, target))
