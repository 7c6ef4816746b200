"""How many members a stack should train at once when ``population`` is ``"auto"``.

Memory bounds a stack (:func:`~nntune.train.stack_run.population_size`), but memory is not
what should size it. A stack's training step costs about the same for 1 to some K members
on a device that a single small model leaves idle, and then, once the device is busy, about
twice as much for twice the members. Past that point a larger stack trains no more members
per second; it only makes every epoch of every member longer, so the first trial finishes
later (on an H200, a stack epoch of 256 CNNs of the Fashion-MNIST example took about 4.4 s
on 10,000 images, where 128 trained as many members per second in half the time).

So on an accelerator the first stack of an ``auto`` run is preceded by a probe: stacks of
1, 2, 4, ... members up to the bound (memory, the device's limit, PBT's population), each
timed over a few training steps on the device (after warm-up steps; synchronised on CUDA),
and :func:`pick_population` keeps the largest size whose time per member still improves
meaningfully on the size before it: by at least ``GAIN`` (15%) per doubling. The rule is monotone: it stops at the first size that does not improve enough,
since a larger one that seems to improve again after a flat step is more likely noise than
a device that got faster. The probe's timings and its choice are stored with the study's
``population`` figures.

On the CPU the bound is kept as it is (at most 4 members, a limit set by how soon the first
trials finish). Timed on the 2-core machine, one thread, seconds per member-step from 1 to 4
members: digits MLPs of 1 x 32 units 0.53, 0.28, 0.15 ms (and on to 0.04 at 32), of
2 x 128 units 0.89-1.17, 0.68-0.79, 0.53-0.56 ms, but 4 x 512 units 10.5-12.7, 11.6-13.3,
14.7-17.3 ms and CNNs (8, 16 filters, mnist_5k) 11-23, 5.5-13, 6-7 ms: the probe would pick
4, 4, 1 and 1 or 2. On two threads beside other work a step of the same stack took from
1.2 ms to 256 ms from one repeat to the next, so a probe of a few steps would choose by chance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from nntune._words import counted
from nntune.train.stack import Stack
from nntune.train.threads import SizedThreads

GAIN = 0.15  # the least improvement of the time per member, per doubling of the stack
WARMUP_STEPS = 2  # untimed: kernels chosen, memory allocated, caches warm
TIMED_STEPS = 3  # the fastest of these counts (another process only ever slows a step down)


@dataclass(frozen=True)
class AutoSize:
    """The members per stack ``auto`` chose: ``k``, within ``bound`` (memory, the device's
    limit, PBT's population), from ``timings`` ((members, seconds per training step), in
    the order probed; none where the bound was taken as it is)."""

    k: int
    bound: int
    timings: list[tuple[int, float]] = field(default_factory=list)
    gain: float = GAIN
    bound_by: str = ""  # what set the bound: "memory", "device" (its limit) or "pbt" (PBT's population)

    def to_json(self) -> dict[str, Any]:
        return {"chosen": self.k, "bound": self.bound, "bound_by": self.bound_by,
                "rule": "timed" if self.timings else "bound",
                "gain": self.gain, "step_seconds": [[k, round(s, 6)] for k, s in self.timings]}


def pick_population(timings: Sequence[tuple[int, float]], gain: float = GAIN) -> int:
    """The largest stack size of ``timings`` ((members, seconds per step)) reached while
    every step up improves the seconds per member by at least ``gain`` per doubling: from
    size a to size b the time per member must fall to ``(1 - gain) ** log2(b / a)`` of a's
    or below. Sizes need not be powers of two; the smallest one is the fallback."""
    if not timings:
        raise ValueError("no timings to choose a stack size from")
    if not 0 <= gain < 1:
        raise ValueError(f"gain must be in [0, 1), got {gain!r}")
    for k, seconds in timings:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"a stack size must be an integer >= 1, got {k!r}")
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"the step time of {counted(k, 'member')} must be a positive number, got {seconds!r}")
    ordered = sorted(dict(sorted(timings, key=lambda t: -t[1])).items())  # one (the fastest) per size
    best, per_member = ordered[0][0], ordered[0][1] / ordered[0][0]
    for k, seconds in ordered[1:]:
        if seconds / k > per_member * (1 - gain) ** math.log2(k / best):
            break
        best, per_member = k, seconds / k
    return best


def probe_sizes(bound: int) -> list[int]:
    """The sizes probed below ``bound``: 1, 2, 4, ... and ``bound`` itself."""
    sizes = [1 << i for i in range(max(1, bound).bit_length()) if 1 << i < bound]
    return [*sizes, max(1, bound)]


def step_seconds(stack: Stack, *, warmup: int = WARMUP_STEPS, steps: int = TIMED_STEPS,
                 clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds one training step of ``stack`` takes, every slot computing (a stack trains
    every slot it holds, member or not), on the threads its epochs would get: the fastest
    of ``steps`` timed steps after ``warmup`` untimed ones. The stack's weights move."""
    k, bs, n = stack.capacity, stack.bs, stack.n_train
    generator = torch.Generator().manual_seed(0)
    mask = torch.ones(k, device=stack.device)
    cuda = stack.device.type == "cuda"
    times = []
    with SizedThreads() as threads:
        if stack.device.type == "cpu":
            threads.size_to(stack.member_flops * k, stack.device)
        for step in range(warmup + steps):
            idx = torch.randint(0, n, (k, min(bs, n)), generator=generator).to(stack.device)
            if step < warmup:
                stack.train_step(idx, mask)
                continue
            if cuda:
                torch.cuda.synchronize(stack.device)  # the step starts with nothing queued before it
            t0 = clock()
            stack.train_step(idx, mask)
            if cuda:
                torch.cuda.synchronize(stack.device)
            times.append(clock() - t0)
    return min(times)


def probe_population(make_stack: Callable[[int], Stack], bound: int, *, gain: float = GAIN,
                     time_step: Callable[[Stack], float] = step_seconds) -> AutoSize:
    """Time stacks of :func:`probe_sizes` members (``make_stack(k)`` builds one) until one
    no longer improves enough or the ``bound``, and :func:`pick_population` from the
    timings. A stack that runs out of device memory ends the probe: the sizes before it count."""
    timings: list[tuple[int, float]] = []
    for k in probe_sizes(bound):
        try:
            timings.append((k, time_step(make_stack(k))))
        except torch.OutOfMemoryError:
            if not timings:
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            break
        if pick_population(timings, gain) < k:
            break  # the rule stops at the first size that does not improve enough
    return AutoSize(pick_population(timings, gain), bound, timings, gain)
