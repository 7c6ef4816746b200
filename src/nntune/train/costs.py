"""What a trained model costs, as objectives or constraints beside its validation metric:
``params`` (trainable parameters) and ``latency_ms`` (inference time per sample).

``latency_ms`` is the median wall time of one forward pass over a batch of one input on
the trial's device, after warm-up passes (the first calls allocate memory and pick
kernels); the median of several repeats keeps one interruption by another process from
deciding it. The clock is injected, so the arithmetic is tested without timing anything.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the config reads COSTS' names in processes that never measure a model
    import torch
    from torch import nn

COSTS: dict[str, str] = {"params": "minimize", "latency_ms": "minimize"}
WARMUP = 3
REPEATS = 15


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (a frozen backbone's weights are not counted)."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def measure_latency_ms(model: nn.Module, sample: torch.Tensor, *, warmup: int = WARMUP, repeats: int = REPEATS,
                       transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                       clock: Callable[[], float] = time.perf_counter) -> float:
    """Median milliseconds of ``model`` in eval mode on ``sample`` (a batch of one input,
    e.g. ``x_val[:1]``), on the device the model's parameters are on; the model's mode is
    restored."""
    import torch

    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be at least 1 and warmup at least 0")
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    x = sample.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    was_training = model.training
    model.eval()
    times: list[float] = []
    try:
        with torch.inference_mode():
            for i in range(warmup + repeats):
                sync()
                start = clock()
                model(transform(x) if transform is not None else x)
                sync()
                elapsed = clock() - start
                if i >= warmup:
                    times.append(elapsed)
    finally:
        model.train(was_training)
    return 1000.0 * statistics.median(times)


def model_costs(model: nn.Module, sample: torch.Tensor, names: set[str] | frozenset[str], *,
                transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """The costs in ``names`` (of :data:`COSTS`) of a trained model."""
    out: dict[str, float] = {}
    if "params" in names:
        out["params"] = float(count_parameters(model))
    if "latency_ms" in names:
        out["latency_ms"] = measure_latency_ms(model, sample, transform=transform, clock=clock)
    return out
