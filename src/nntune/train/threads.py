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

4. The run's size (:class:`SizedThreads`, applied by ``fit`` and by each epoch of a stack):
   a run whose training step is under :data:`SMALL_STEP_FLOPS` (forward and backward of
   its dense and convolution layers, :func:`step_flops`; a stack's step is K members')
   trains on one thread, and torch's threads are given back when it ends. A step that
   small is a few hundred microseconds of arithmetic, and two threads spend more at the
   barriers of its many small operations than they save. Measured on 2 cores, quiet: the
   digits MLP (2 x 128, batch 64: 9.9 MFLOP a step) trained 32 times one at a time took
   3.44 s on one thread and 5.01 s on two; a stack of 32 of them (318 MFLOP a step) took
   0.92 s on two threads (1.13 s on one, measured beside one other process). ``benchmarks/thread_crossover.py`` times
   runs from 3 to 430 MFLOP a step on 1 and 2 threads, interleaved, to place the crossover;
   quiet (load 0.8), one thread's time over two's, median and fastest runs: 3.4 MFLOP
   0.99 / 0.99, 9.9 MFLOP 1.20 / 0.95, 32 MFLOP 1.06 / 1.08, 115 MFLOP 1.23 / 1.28, 432 MFLOP
   1.57 / 1.66; stacks of 4 to 32 digits MLPs (40-318 MFLOP) 1.07-1.54. Below about 50
   MFLOP a second thread gains nothing reliable (and a busy core makes it lose: under load
   6-8 two threads lost at every size, 2 to 50 times slower), above it it pays, so the line
   is at 50 MFLOP.

5. Other work that starts during a run (:class:`LoadWatch`, asked at every step of ``fit``
   and of a stack): a run on several threads looks at the machine every
   :data:`WATCH_SECONDS` and trains on the cores other processes leave free, one at least,
   going back up when they are free again. Without it a process that starts beside a run on
   two threads slows that run at every barrier until its next trial, and the run keeps more
   than its fair share of the cores: a stack of 32 digits MLPs on two threads beside one
   CPU-bound process took 2.46 s, watched 1.46 s, on one thread 1.60 s
   (``benchmarks/stack_shards.py --busy``); alone the watch cost nothing measurable (0.90
   s against 0.92 s).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

SAMPLE_SECONDS = 0.05  # how long the machine's CPU usage is sampled
# Below this many floating-point operations per training step (forward and backward of the
# dense and convolution layers) one thread is faster than two: see the module docstring.
SMALL_STEP_FLOPS = 50e6
# How often a run on several threads looks whether other work took a core (item 5 above):
# reading the machine's and the process's CPU times costs about 30 microseconds.
WATCH_SECONDS = 0.2


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


def asked_threads(environ: Mapping[str, str]) -> int | None:
    """The count ``NNTUNE_THREADS`` asks for, or ``None`` for ``auto`` (or unset); anything
    else is refused in one line."""
    asked = environ.get("NNTUNE_THREADS", "auto").strip().lower()
    if asked in ("", "auto"):
        return None
    if not asked.isdigit() or int(asked) < 1:
        from nntune.exceptions import ConfigError

        raise ConfigError("NNTUNE_THREADS", f"must be auto or an integer >= 1, got {asked!r}")
    return int(asked)


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_threads(*, environ: Mapping[str, str], usable_cores: int, machine_cores: int,
                   busy_fraction: Callable[[], float], set_threads: Callable[[int], None]) -> ThreadChoice:
    """The rule of this module with every input given: the environment, the cores and a
    probe of the machine's CPU usage. Leaves ``set_threads`` called with the choice."""
    asked = asked_threads(environ)
    if asked is not None:
        set_threads(asked)
        return ThreadChoice(asked, "NNTUNE_THREADS")
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

    from nntune.train.basics import pick_device

    if pick_device(device).type != "cpu":
        return None
    usable = usable_cores()
    cap = thread_cap()
    return choose_threads(environ=os.environ, usable_cores=usable if cap is None else min(usable, cap),
                          machine_cores=psutil.cpu_count() or usable,
                          busy_fraction=_OTHERS.busy_fraction, set_threads=torch.set_num_threads)




def machine_busy_seconds() -> float:
    """CPU seconds the machine's cores have been busy since boot, summed over the cores
    (a guest's time is in ``user`` already; steal counts as busy: a core the hypervisor
    took is not this run's either)."""
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - sum(getattr(t, name, 0.0) for name in ("iowait", "guest", "guest_nice"))


class LoadWatch:
    """The cores other processes keep busy, looked at no more often than every ``every``
    seconds: between two looks, the machine's busy CPU time less this process's own, over
    the wall time between them. ``threads(wanted)`` is the count a run sized to ``wanted``
    threads should use now (:func:`free_threads` of the last look). One per process, so
    that a stack's epochs, each sized anew, share its looks; every clock is injected."""

    def __init__(self, *, machine_cores: int | None = None, machine_busy: Callable[[], float] = machine_busy_seconds,
                 own: Callable[[], float] = time.process_time, clock: Callable[[], float] = time.monotonic,
                 every: float = WATCH_SECONDS) -> None:
        self.machine_cores = machine_cores
        self.machine_busy, self.own, self.clock, self.every = machine_busy, own, clock, every
        self._last: tuple[float, float, float] | None = None
        self._others: float | None = None  # cores other work used between the last two looks
        self._lock = threading.Lock()

    def others(self) -> float | None:
        """The cores other work used between the last two looks; looks again when due."""
        with self._lock:
            now = self.clock()
            if self._last is None or now - self._last[0] >= self.every:
                seen = (now, self.machine_busy(), self.own())
                if self._last is not None:
                    wall = seen[0] - self._last[0]
                    others = (seen[1] - self._last[1]) - (seen[2] - self._last[2])
                    self._others = max(0.0, others / wall)
                self._last = seen
            return self._others

    def threads(self, wanted: int) -> int:
        """``wanted`` less the cores other work keeps busy, at least one; ``wanted`` before
        the second look."""
        others = self.others()
        if others is None or wanted <= 1:
            return wanted
        return free_threads(wanted, self.cores(), others / self.cores())

    def cores(self) -> int:
        """The machine's cores (every core, not only this process's)."""
        if self.machine_cores is None:
            import psutil

            self.machine_cores = psutil.cpu_count() or 1
        return self.machine_cores


_WATCH = LoadWatch()


class OthersUsage:
    """The share of the machine's CPU time that other processes used since the last look
    (:class:`LoadWatch`'s arithmetic, looked at whenever asked). The first look samples the
    machine for ``SAMPLE_SECONDS``; later looks read the whole time since the one before
    (the last trial, in effect), which costs nothing and says more than a short sample."""

    def __init__(self, watch: LoadWatch | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._watch = watch or LoadWatch(every=0.0)
        self._sleep = sleep

    def busy_fraction(self) -> float:
        others = self._watch.others()
        if others is None:  # the first look only starts the window
            self._sleep(SAMPLE_SECONDS)
            others = self._watch.others() or 0.0
        return min(1.0, others / self._watch.cores())


_OTHERS = OthersUsage()  # one per process: its looks are what make the windows
_THIS_THREAD = threading.local()


def cap_thread(threads: int | None) -> None:
    """At most ``threads`` torch threads for the runs the calling thread starts (``None``
    lifts the cap). ``optimize(n_jobs=N)`` caps each trial's thread at its share of the
    cores: the rule above counts only other processes' work as busy, so without the cap
    each of N trials of the built-in trainer would take every core."""
    _THIS_THREAD.cap = threads


def thread_cap() -> int | None:
    """The calling thread's cap (:func:`cap_thread`), or ``None``."""
    return getattr(_THIS_THREAD, "cap", None)


# ---------------------------------------------------------------- the run's size


def step_flops(model: Any, input_shape: Sequence[int], batch_size: int) -> float:
    """Floating-point operations of one training step of ``model``: its dense and
    convolution layers' multiply-adds on one sample (a forward pass on zeros), times 2
    (multiply and add), times 3 (the forward pass and the two products of the backward one),
    times the batch size."""
    import torch
    from torch import nn

    macs = 0

    def count(module: nn.Module, inputs: tuple[Any, ...], out: Any) -> None:
        nonlocal macs
        if isinstance(module, nn.Linear):
            macs += out.numel() * module.in_features
        elif isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs += out.numel() * module.in_channels // module.groups * kh * kw

    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    handles = [m.register_forward_hook(count) for m in layers]
    was_training = model.training
    first = next(model.parameters(), None)
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_shape, device=first.device if first is not None else "cpu"))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return 6.0 * macs * batch_size


def threads_for_work(threads: int, flops_per_step: float) -> int:
    """``threads`` for a run whose steps are worth them; one for a step below
    :data:`SMALL_STEP_FLOPS`, where a second thread costs more in waiting than it computes."""
    return 1 if flops_per_step < SMALL_STEP_FLOPS else max(1, threads)


_RUNS_LOCK = threading.Lock()
_ACTIVE_RUNS = 0
_SAVED_THREADS = [0]  # torch's count before the first of the runs now active


def runs_active() -> int:
    """How many runs of this process are inside :class:`SizedThreads` now."""
    with _RUNS_LOCK:
        return _ACTIVE_RUNS


class SizedThreads:
    """Torch's threads for one run, capped by the run's work per step and given back as they
    were when the run ends (the next run, a bigger stack say, may earn them)::

        with SizedThreads() as threads:
            threads.size_to(step_flops(model, shape, batch), device)

    ``NNTUNE_THREADS`` set to a count is obeyed as it is: no cap. On an accelerator the
    threads are left alone, and so are they for a run that starts while another run of the
    process is active (threads of one ``optimize(n_jobs=N)``); the last run to end restores
    the count the first one found."""

    def __init__(self, *, environ: Mapping[str, str] | None = None, get_threads: Callable[[], int] | None = None,
                 set_threads: Callable[[int], None] | None = None, watch: LoadWatch | None = None) -> None:
        import torch

        self.environ = os.environ if environ is None else environ
        self.get_threads = get_threads or torch.get_num_threads
        self.set_threads = set_threads or torch.set_num_threads
        self.before = 0
        self.capped: ThreadChoice | None = None  # the choice, when the run's size lowered the count
        self._alone = True  # no other run of this process was active when this one began
        self.watch = watch or _WATCH
        self.sized = 0  # the threads the run's size earns when it may use several; 0: not watched

    def __enter__(self) -> SizedThreads:
        global _ACTIVE_RUNS
        with _RUNS_LOCK:
            # Runs in threads of one process (``optimize(n_jobs=N)``) share torch's count:
            # the first run saves it and the last to end gives it back, so two overlapping
            # runs cannot restore each other's cap.
            self.before = self.get_threads() if _ACTIVE_RUNS == 0 else _SAVED_THREADS[0]
            if _ACTIVE_RUNS == 0:
                _SAVED_THREADS[0] = self.before
            _ACTIVE_RUNS += 1
            self._alone = _ACTIVE_RUNS == 1
        return self

    def size_to(self, flops_per_step: float, device: Any = "cpu") -> int:
        """Apply the cap for a run of ``flops_per_step`` on ``device``; the threads it runs on."""
        fixed = self.environ.get("NNTUNE_THREADS", "auto").strip().lower() not in ("", "auto")
        if fixed or not self._alone or getattr(device, "type", str(device).split(":")[0]) != "cpu":
            return self.get_threads()
        wanted = threads_for_work(self.before, flops_per_step)
        if wanted < self.before:
            self.capped = ThreadChoice(wanted, f"a step of {flops_per_step / 1e6:.1f} MFLOP is too small for more")
        self.sized = wanted if wanted > 1 else 0
        return self._use(self.watch.threads(wanted) if self.sized else wanted)

    def step(self) -> int:
        """Called at every training step: the run's threads less the cores other work took
        since it was sized (:class:`LoadWatch`), back up when they are free again. Costs a
        clock read between looks."""
        if not self.sized or _ACTIVE_RUNS > 1:  # another run of the process shares the threads now
            return self.get_threads()
        return self._use(self.watch.threads(self.sized))

    def _use(self, n: int) -> int:
        if n != self.get_threads():
            self.set_threads(n)
        if n < self.sized:
            self.capped = ThreadChoice(n, "other processes took a core during the run")
        return n

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        global _ACTIVE_RUNS
        with _RUNS_LOCK:
            _ACTIVE_RUNS -= 1
            if _ACTIVE_RUNS == 0 and self.get_threads() != self.before:
                self.set_threads(self.before)
