"""How many threads torch uses inside one training run (its intra-op threads).

torch starts one thread per core and, by default, its OpenMP threads spin while they wait.
On a machine shared with other work that is the worst choice for the small models nntune
trains by the hundred: with one other CPU-bound process on two cores, a step of the digits
MLP took 0.2 s on torch's two threads and 0.006 s on one, because every step waits at a
barrier for a thread the other process has pushed off its core. The rule here:

1. ``NNTUNE_THREADS=N`` is obeyed as it is (``auto``, or unset, applies the rule).
2. The ceiling: the cores this process may run on, and no more than ``OMP_NUM_THREADS``
   where that is set (the worker executors set it to each worker's share).
3. The cores free now: the ceiling less what other processes keep busy, from the CPU
   usage of the whole machine over a twentieth of a second. On a busy machine that leaves
   one thread, and one thread it is.
4. Otherwise an MLP times a few steps of its own model (forward, backward, Adam update,
   on the first training batch) on one thread and on all the free cores, and takes more
   threads only where they make a step at least 10% faster: small models never gain
   enough to pay for the barriers. A convolutional model (``cnn``, the ResNets) takes
   every free core untimed: its steps are large, and timing a ResNet costs seconds.

The rule runs where a training run starts (each trial, and the final look at the test
split), so a study adapts between trials when the machine's load changes. Waiting OpenMP
threads should sleep rather than spin: :func:`sleep_while_waiting` sets
``OMP_WAIT_POLICY=PASSIVE`` (where unset) before torch loads; the command line does so.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

GAIN = 0.10          # more threads only if a step gets at least this much faster
REPEATS = 3          # timed steps per candidate (their median), after one warm-up step
SAMPLE_SECONDS = 0.05  # how long the machine's CPU usage is sampled


@dataclass(frozen=True)
class ThreadChoice:
    """The threads a run uses and why (stored with each trial)."""

    threads: int
    reason: str
    timings: dict[int, float] | None = None  # seconds per step by thread count, when timed

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"threads": self.threads, "reason": self.reason}
        if self.timings:
            out["step_seconds"] = {str(k): v for k, v in self.timings.items()}
        return out


def sleep_while_waiting(environ: MutableMapping[str, str] | None = None) -> None:
    """OpenMP threads that wait sleep instead of spinning (effective before torch loads)."""
    env = os.environ if environ is None else environ
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def ceiling(environ: Mapping[str, str], usable_cores: int) -> int:
    """The most threads a run here may use: the usable cores, capped by ``OMP_NUM_THREADS``."""
    cap = max(1, usable_cores)
    text = environ.get("OMP_NUM_THREADS", "").strip()
    if text.isdigit() and int(text) >= 1:
        cap = min(cap, int(text))
    return cap


def free_threads(cap: int, machine_cores: int, busy_fraction: float) -> int:
    """Threads that find a free core: ``cap`` less the cores other processes keep busy
    (``busy_fraction`` of the whole machine), at least one."""
    idle = machine_cores * (1.0 - min(max(busy_fraction, 0.0), 1.0))
    return max(1, min(cap, int(idle + 0.5)))


def pick_threads(timings: Mapping[int, float], gain: float = GAIN) -> int:
    """The fewest threads timed, unless more make a step at least ``gain`` faster."""
    fewest = min(timings)
    best = min(timings, key=lambda n: (timings[n], n))
    return best if timings[best] <= (1.0 - gain) * timings[fewest] else fewest


def time_step(step: Callable[[], None], threads: int, set_threads: Callable[[int], None], *,
              repeats: int = REPEATS, clock: Callable[[], float] = time.perf_counter) -> float:
    """Median seconds of ``step`` on ``threads`` threads, after one warm-up step."""
    set_threads(threads)
    step()
    times = []
    for _ in range(repeats):
        start = clock()
        step()
        times.append(clock() - start)
    return statistics.median(times)


def choose_threads(step: Callable[[], None] | None, *, environ: Mapping[str, str], usable_cores: int,
                   machine_cores: int, busy_fraction: Callable[[], float],
                   set_threads: Callable[[int], None],
                   clock: Callable[[], float] = time.perf_counter) -> ThreadChoice:
    """The rule of this module with every input given: the environment, the cores, a
    probe of the machine's CPU usage, a training step to time (``None``: do not time) and
    the clock. Leaves ``set_threads`` called with the choice."""
    asked = environ.get("NNTUNE_THREADS", "auto").strip().lower()
    if asked not in ("", "auto"):
        if not asked.isdigit() or int(asked) < 1:
            from nntune.exceptions import ConfigError

            raise ConfigError("NNTUNE_THREADS", f"must be auto or an integer >= 1, got {asked!r}")
        set_threads(int(asked))
        return ThreadChoice(int(asked), "NNTUNE_THREADS")
    cap = ceiling(environ, usable_cores)
    if cap == 1:
        set_threads(1)
        return ThreadChoice(1, "one core for this run")
    free = free_threads(cap, machine_cores, busy_fraction())
    if free == 1:
        set_threads(1)
        return ThreadChoice(1, "other processes keep the other cores busy")
    if step is None:
        set_threads(free)
        return ThreadChoice(free, "a large step (convolutions): every free core")
    try:
        timings = {n: time_step(step, n, set_threads, clock=clock) for n in sorted({1, free})}
    except Exception as err:  # the run itself will fail with the same error, in its place
        set_threads(1)
        return ThreadChoice(1, f"the step could not be timed ({type(err).__name__})")
    chosen = pick_threads(timings)
    set_threads(chosen)
    reason = f"{chosen} of {free} free cores: " + ("a step is at least 10% faster" if chosen > 1
                                                   else "more threads make a step no 10% faster")
    return ThreadChoice(chosen, reason, timings)


def use_threads(params: Mapping[str, Any], splits: Any, *, eval_transform: Any = None,
                device: Any = None) -> ThreadChoice | None:
    """Apply the rule for a run of the built-in trainer with ``params`` on ``splits`` (on a
    CPU; on a GPU the threads are left as they are and ``None`` is returned)."""
    import psutil
    import torch

    from nntune.train.loop import pick_device

    if pick_device(device).type != "cpu":
        return None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1

    def busy() -> float:
        return float(psutil.cpu_percent(interval=SAMPLE_SECONDS)) / 100.0

    state: dict[str, Any] = {}
    timed = params.get("model", "mlp") == "mlp"  # convolutional steps are large: not worth timing
    step = (lambda: _step(params, splits, eval_transform, state)) if timed else None
    return choose_threads(step, environ=os.environ,
                          usable_cores=usable, machine_cores=psutil.cpu_count() or usable,
                          busy_fraction=busy, set_threads=torch.set_num_threads)


def _step(params: Mapping[str, Any], splits: Any, eval_transform: Any, state: dict[str, Any]) -> None:
    """One training step of the run's own model on its first batch (built on first call)."""
    import torch
    import torch.nn.functional as F

    from nntune.train.loop import model_input_shape, resolve_batch_size, resolve_params
    from nntune.train.models import build_model

    if not state:
        hp = resolve_params(params, splits.task_type)
        shape = model_input_shape(splits, eval_transform)
        n_out = splits.n_classes if splits.task_type == "classification" else 1
        model = build_model(hp, shape, n_out)
        batch = resolve_batch_size(hp["batch_size"], len(splits.y_train))
        x = splits.x_train[:batch]
        if eval_transform is not None:
            x = eval_transform(x)
        y = splits.y_train[:batch]
        state.update(model=model, x=x, y=y, opt=torch.optim.Adam(model.parameters(), lr=1e-6))
    model, opt, x, y = state["model"], state["opt"], state["x"], state["y"]
    opt.zero_grad(set_to_none=True)
    out = model(x)
    if splits.task_type == "classification":
        loss = F.cross_entropy(out, y.long())
    else:
        loss = F.mse_loss(out.reshape(len(y), -1), y.reshape(len(y), -1).to(out.dtype))
    loss.backward()
    opt.step()
