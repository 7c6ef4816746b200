"""How many threads torch uses inside one training run (its intra-op threads).

torch starts one thread per core. On a machine shared with other work that is the worst
choice for the small models nntune trains by the hundred: with one other CPU-bound
process on two cores, a step of the digits MLP took 0.2 s on torch's two threads and
0.006 s on one, because every step waits at a barrier for a thread the other process has
pushed off its core. The rule here:

1. ``NNTUNE_THREADS=N`` is obeyed as it is (``auto``, or unset, applies the rule).
2. The ceiling: the cores this process may run on, and no more than ``OMP_NUM_THREADS``
   where that is set (the worker executors set it to each worker's share).
3. The cores free now: the ceiling less what other processes keep busy (the machine's CPU
   time less this process's own, since the previous run started; a twentieth of a second
   sampled at the first). A run takes every free core: on a busy machine that is one
   thread, alone it is torch's own choice.

Measured with the embedded default (20 trials of the digits MLP) on two cores: alone 16.9 s
on the rule's two threads against 17.6 s for torch's default; beside one CPU-bound
process 18.9 s on the rule's one thread against 54 s for torch's default. Two other rules
were measured and dropped: OpenMP's sleeping waiters (``OMP_WAIT_POLICY=PASSIVE``) made
two threads slower than one even alone (29 s against 18.7 s for the study), and timing a
few steps of each trial's model to choose cost more than the threads won (22.6 s alone).
The rule runs where a training run starts (each trial, and the final look at the test
split), so a study adapts between trials when the machine's load changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SAMPLE_SECONDS = 0.05  # how long the machine's CPU usage is sampled


@dataclass(frozen=True)
class ThreadChoice:
    """The threads a run uses and why (stored with each trial)."""

    threads: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"threads": self.threads, "reason": self.reason}


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


def choose_threads(*, environ: Mapping[str, str], usable_cores: int, machine_cores: int,
                   busy_fraction: Callable[[], float], set_threads: Callable[[int], None]) -> ThreadChoice:
    """The rule of this module with every input given: the environment, the cores and a
    probe of the machine's CPU usage. Leaves ``set_threads`` called with the choice."""
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
    set_threads(free)
    if free == 1:
        return ThreadChoice(1, "other processes keep the other cores busy")
    return ThreadChoice(free, f"{free} free cores")


def use_threads(*, device: Any = None) -> ThreadChoice | None:
    """Apply the rule for a run of the built-in trainer on ``device`` (on a CPU; on a GPU
    the threads are left as they are and ``None`` is returned)."""
    import psutil
    import torch

    from nntune.train.loop import pick_device

    if pick_device(device).type != "cpu":
        return None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1

    return choose_threads(environ=os.environ, usable_cores=usable,
                          machine_cores=psutil.cpu_count() or usable,
                          busy_fraction=_OTHERS.busy_fraction, set_threads=torch.set_num_threads)


class OthersUsage:
    """The share of the machine's CPU time that other processes used since the last look:
    the machine's busy time less this process's own. The first look samples the machine
    for ``SAMPLE_SECONDS``; later looks read the whole time since the one before (the last
    trial, in effect), which costs nothing and says more than a short sample."""

    def __init__(self) -> None:
        self._me: Any = None

    def busy_fraction(self) -> float:
        import psutil

        if self._me is None:
            self._me = psutil.Process()
            self._me.cpu_percent(interval=None)  # starts this process's count
            return float(psutil.cpu_percent(interval=SAMPLE_SECONDS)) / 100.0
        machine = float(psutil.cpu_percent(interval=None)) / 100.0
        mine = float(self._me.cpu_percent(interval=None)) / 100.0 / (psutil.cpu_count() or 1)
        return max(0.0, machine - mine)


_OTHERS = OthersUsage()  # one per process: its looks are what make the windows
