"""``batch_size: auto``: the notes' doubling rule for the mini-batch size (note 004).

Start at 64 (or 128), double (128, 256, 512, 1024) while the throughput in samples per
second keeps improving and the batch still fits in memory, and stop at 1024: larger
batches train, but are rarely used. On CUDA an out-of-memory error ends the doubling (the
size before it is kept); on CPU an estimate of the step's memory is held against a budget.
:func:`choose` is the rule on measured numbers; :func:`probe` measures them by timing a
few real training steps of the model at each size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from nntune.exceptions import ConfigError

START, LIMIT = 64, 1024
MIN_GAIN = 1.05  # a doubling counts as an improvement when throughput grows by 5% or more
CPU_BUDGET_BYTES = 2 * 1024**3  # the CPU memory one training step may take


@dataclass(frozen=True)
class Tried:
    batch_size: int
    samples_per_second: float | None  # None: it did not fit
    reason: str = ""


@dataclass
class Probe:
    """Every size tried, and the one chosen."""

    tried: list[Tried] = field(default_factory=list)
    chosen: int = START

    def to_json(self) -> dict[str, Any]:
        return {"tried": [asdict(t) for t in self.tried], "chosen": self.chosen}

    def describe(self) -> str:
        parts = [f"{t.batch_size} ({t.samples_per_second:,.0f} samples/s)" if t.samples_per_second is not None
                 else f"{t.batch_size} ({t.reason})" for t in self.tried]
        return f"batch_size auto: tried {', '.join(parts)}; chose {self.chosen}"


def sizes(start: int = START, limit: int = LIMIT) -> list[int]:
    """start, 2 start, 4 start, ... up to limit."""
    if start < 1 or limit < start:
        raise ConfigError("batch_size", f"auto needs 1 <= start <= limit, got {start} and {limit}")
    out = [start]
    while out[-1] * 2 <= limit:
        out.append(out[-1] * 2)
    return out


def choose(tried: Sequence[Tried], min_gain: float = MIN_GAIN) -> int:
    """The doubling rule on measured sizes (in the order tried): keep doubling while the
    next size fits and is at least ``min_gain`` times faster; the last size kept wins."""
    if not tried or tried[0].samples_per_second is None:
        return tried[0].batch_size if tried else START
    best = tried[0]
    for t in tried[1:]:
        if t.samples_per_second is None or t.samples_per_second < min_gain * float(best.samples_per_second or 0.0):
            break
        best = t
    return best.batch_size


def step_bytes(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> int:
    """A rough bound on one training step's memory: parameters, their gradients and the
    optimizer's state (4 copies), plus every module's output for the batch kept for the
    backward pass, twice (activations and their gradients), in float32."""
    outputs = 0

    def count(_m: torch.nn.Module, _i: Any, out: Any) -> None:
        nonlocal outputs
        if isinstance(out, torch.Tensor):
            outputs += out.numel()

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    training = model.training
    try:
        # In eval mode: batch norm cannot take one sample in training mode, and the
        # outputs' sizes are the same in both.
        model.eval()
        with torch.no_grad():
            model(x[:1])
    finally:
        model.train(training)
        for h in hooks:
            h.remove()
    params = sum(p.numel() for p in model.parameters())
    return 4 * (4 * params + 2 * outputs * batch_size + x[:1].numel() * batch_size)


def probe(build: Callable[[], torch.nn.Module], x: torch.Tensor, y: torch.Tensor, *, classification: bool,
          device: torch.device, clock: Callable[[], float] = time.perf_counter, steps: int = 3,
          start: int = START, limit: int = LIMIT, cpu_budget: int = CPU_BUDGET_BYTES) -> Probe:
    """Time ``steps`` training steps (after one warm-up) of a fresh model at each size,
    doubling from ``start`` while the rule of :func:`choose` holds."""
    result = Probe()
    for size in sizes(start, min(limit, max(start, len(y)))):
        tried = _measure(build, x, y, size, classification=classification, device=device, clock=clock,
                         steps=steps, cpu_budget=cpu_budget)
        result.tried.append(tried)
        if choose(result.tried) != size:
            break
    result.chosen = choose(result.tried)
    return result


def _measure(build: Callable[[], torch.nn.Module], x: torch.Tensor, y: torch.Tensor, size: int, *,
             classification: bool, device: torch.device, clock: Callable[[], float], steps: int,
             cpu_budget: int) -> Tried:
    model = build().to(device)
    if device.type != "cuda" and step_bytes(model, x, size) > cpu_budget:
        return Tried(size, None, f"over the CPU memory budget of {cpu_budget / 1024**3:.1f} GiB")
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    xb, yb = x[:size].to(device), y[:size].to(device)
    try:
        for k in range(steps + 1):
            if k == 1:  # the first step warms up (allocations, kernels) and is not timed
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                t0 = clock()
            out = model(xb)
            loss = F.cross_entropy(out, yb) if classification else F.mse_loss(out.view_as(yb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = clock() - t0
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        return Tried(size, None, "out of GPU memory")
    return Tried(size, size * steps / max(seconds, 1e-9))


def probe_for(params: Mapping[str, Any], splits: Any, *, device: torch.device,
              clock: Callable[[], float] = time.perf_counter) -> Probe:
    """:func:`probe` for the trainer's model described by ``params`` on ``splits``."""
    from nntune.train.basics import count_outputs, resolve_params
    from nntune.train.models import build_model

    hp = resolve_params({**params, "batch_size": START}, splits.task_type)
    shape = tuple(splits.x_train.shape[1:])
    n_out = count_outputs(splits)
    gen_seed = 0
    return probe(lambda: build_model(hp, shape, n_out, generator=torch.Generator().manual_seed(gen_seed)),
                 splits.x_train, splits.y_train, classification=splits.task_type == "classification",
                 device=device, clock=clock)
