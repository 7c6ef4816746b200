"""The local process pool: N worker processes share the study's storage, and a supervisor in
this process keeps them honest.

Each worker opens the study itself and loops ask -> train -> report -> tell (``_worker``).
The supervisor hands out permission to start trials (so a timeout or ``study.stop()`` ends
the search between trials), runs the callbacks here as trials end, and isolates failures:
a trial past ``trial_timeout`` or a worker past ``memory_mb`` is killed and the trial
failed with the reason; a worker that dies mid-trial (a segfault, the OOM killer, kill -9)
has its trial re-queued (up to ``max_retries`` times, then failed); every dead worker is
replaced while there is work left. A worker killed with this process (kill -9 of the search)
uses up no retry of its trial, and SIGTERM or SIGHUP end the search as Ctrl-C does; nor does
a worker that cannot write because the storage's disk is full (the search ends with that line). No more
workers start than the study has trials left to start. Each worker gets one GPU where there are GPUs
(``CUDA_VISIBLE_DEVICES``) and a share of the CPU cores for torch's threads.

Workers start from a fork server that has imported torch and nntune once (:func:`worker_context`):
a fresh interpreter per worker would import them again, seconds per worker before its first
trial. On machines with a GPU driver (and off Linux) they are spawned instead, so that no
process they descend from has touched CUDA. ``nntune tune --workers N`` starts the server
before it reads its data (:func:`start_worker_server`), so that the server's imports overlap
its own: six digits trials on 2 workers took 9.9 s instead of 13.3 s on 2 cores.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from nntune.executors._common import (
    EXHAUSTED,
    Callback,
    announce,
    WorkerOptions,
    describe_exit,
    failed_numbers,
    gpu_for,
    recover_interrupted,
    stop_reason_now,
    thread_share,
    timed_out,
    useful_workers,
    visible_gpus,
    budget_reached,
)
from nntune.executors._running import INTERRUPTED, termination_as_interrupt
from nntune.executors._memory import private_mb
from nntune.executors._worker import Setup, worker_main
from nntune.storage._base import StorageFull, StudyNotFoundError
from nntune.trial import TrialState

if TYPE_CHECKING:
    from nntune.study import Study


# Imported once by the fork server, so a worker starts with them in memory. torch._dynamo
# is imported by the first optimizer a process builds (torch.optim's compile guards); the
# SQL storage (SQLAlchemy and its SQLite dialect) by the worker's opening of the study, and
# scikit-learn's data sets (with scipy) by the built-in data loaders: about 0.1 s per worker
# otherwise.
PRELOAD = ("torch", "torch._dynamo", "nntune.builtin", "nntune.runner", "nntune.executors._worker",
           "nntune.storage.sql", "sqlalchemy.dialects.sqlite", "sklearn.datasets")


# Why a trial whose worker could not write to the storage went back to the queue.
DISK_FULL = "its worker could not write to the storage: the disk it is on was full"


# Device nodes of GPU drivers (NVIDIA, AMD): their presence is enough to keep the fork
# server away, without asking CUDA (which may itself make later forks unsafe).
GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd")


def gpu_machine() -> bool:
    """Whether a GPU driver is present on this machine (checked without touching CUDA)."""
    return any(os.path.exists(p) for p in GPU_DEVICE_NODES)


def worker_context(gpus: Sequence[str]) -> BaseContext:
    """Where to start workers from: on Linux with no GPU, a fork server with :data:`PRELOAD`
    imported; else a fresh interpreter per worker ("spawn"), so that no worker descends from
    a process that touched CUDA (or, on macOS, from a forked copy of system frameworks).

    The fork server is started once per process and kept, so later pools (the next
    ``optimize``, a replaced worker) start in milliseconds. As with spawn, the server and
    each worker import the main script again (as ``__mp_main__``) and unpickle the objective
    by its module, so a script that starts workers needs the ``if __name__ == "__main__":``
    guard; for ``nntune tune`` the main script is the command's own entry point.
    """
    if gpus or gpu_machine() or not sys.platform.startswith("linux") \
            or "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))  # no effect once the server runs
    return ctx


def start_worker_server() -> bool:
    """Start the fork server now, where :func:`worker_context` uses one, rather than at the
    first worker: it imports :data:`PRELOAD` (torch, nntune, SQLAlchemy, scikit-learn: 4.6 s
    on one core of a 2-core machine) while this process reads its data and opens the study.
    Returns whether it did; a process keeps one server, which later pools find running."""
    ctx = worker_context(visible_gpus())
    if ctx.get_start_method() != "forkserver":
        return False
    ensure_server_running()
    return True


def ensure_server_running() -> None:
    """Start the fork server (kept for the process's life) with Ctrl-C ignored while it
    starts. A terminal's Ctrl-C reaches every process of its group, and multiprocessing's
    server ignores SIGINT only once it has imported :data:`PRELOAD` (seconds): a Ctrl-C in
    those seconds printed a KeyboardInterrupt traceback from ``forkserver.py`` beside
    nntune's one line. Started with SIGINT ignored, the server keeps that through its exec;
    each worker puts Python's handler back first (:func:`with_ctrl_c`), since a worker's
    Ctrl-C is what queues its trial again."""
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():  # only the main thread sets handlers
        forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def with_ctrl_c(target: Callable[..., None], *args: Any) -> None:
    """A worker process's entry: Python's Ctrl-C handler first (a worker forked from a
    server started by :func:`ensure_server_running` would ignore Ctrl-C), then ``target``."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    target(*args)


class WorkerSetupError(RuntimeError):
    """A worker could not open the study or build the objective."""


@dataclass
class Slot:
    """One worker process and what it is doing."""

    index: int
    proc: BaseProcess
    conn: Connection
    trial: int | None = None
    started: float = 0.0
    greeted: bool = False
    finished: str | None = None  # why it said it has no more work
    kill_reason: str | None = None
    inbox: list[tuple[Any, ...]] = field(default_factory=list)


class ProcessPool:
    def __init__(self, setup: Setup, study: Study, *, total: int, workers: int, options: WorkerOptions,
                 timeout: float | None, callbacks: Sequence[Callback], clock: Callable[[], float],
                 target: Callable[..., None] = worker_main) -> None:
        self.payload = pickle.dumps(setup)  # to our own children only; storage never sees pickle
        self.target = target  # a worker's entry point: worker_main's arguments and messages
        self.study = study
        self.total = total
        self.workers = workers
        self.options = options
        self.timeout = timeout
        self.callbacks = list(callbacks)
        self.clock = clock
        self.gpus = visible_gpus()
        self.ctx = worker_context(self.gpus)
        if self.ctx.get_start_method() == "forkserver":
            ensure_server_running()  # here rather than at the first worker's start: see its docstring
        self.threads = thread_share(workers, os.cpu_count() or 1, options.cpus)
        self.slots: list[Slot] = []
        self.stop_reason: str | None = None
        self.start_time = clock()
        self.failed_starts = 0
        self.finished_reasons: list[str] = []

    # workers --------------------------------------------------------------------------
    def spawn(self, index: int) -> None:
        env: dict[str, str] = {}
        gpu = gpu_for(index, self.gpus)
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        ours, theirs = self.ctx.Pipe()
        proc = self.ctx.Process(target=with_ctrl_c, name=f"nntune-worker-{index}", args=(
            self.target, self.payload, theirs, self.options, self.total, env, self.threads, os.getpid()))
        proc.start()
        theirs.close()
        self.slots.append(Slot(index, proc, ours))

    def kill(self, slot: Slot, reason: str) -> None:
        """Kill a worker and everything it started (data loaders, ...)."""
        import psutil

        slot.kill_reason = slot.kill_reason or reason
        try:
            family = psutil.Process(slot.proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        for child in family:
            try:
                child.kill()
            except psutil.Error:
                pass
        slot.proc.kill()

    # the supervisor's loop ------------------------------------------------------------
    def stopping(self) -> bool:
        if self.stop_reason is None:
            self.stop_reason = stop_reason_now(self.study, self.timeout, self.clock() - self.start_time)
        return self.stop_reason is not None

    def run(self) -> str:
        with termination_as_interrupt(), self.study._searching():
            return self._search()

    def _search(self) -> str:
        recover_interrupted(self.study, self.options)
        self.workers = useful_workers(self.study, self.total, self.workers)
        self.threads = thread_share(self.workers, os.cpu_count() or 1, self.options.cpus)
        last_sweep = self.clock()
        try:
            for i in range(self.workers):
                self.spawn(i)
            while self.slots:
                self.step()
                if self.clock() - last_sweep >= self.options.stale_grace / 2:
                    last_sweep = self.clock()
                    self.report_recovered(recover_interrupted(self.study, self.options))
                if not self.slots and not self.stopping():
                    # The budget counts running trials: one whose process died on this machine
                    # since the last sweep (another search on the study, killed mid-trial)
                    # goes back to the queue now, not left running when this search ends.
                    self.report_recovered(recover_interrupted(self.study, self.options))
                    if self.room_left():
                        for i in range(self.workers):  # re-queued work and nobody left to run it
                            self.spawn(i)
        except KeyboardInterrupt:
            # Ctrl-C is no crash: the trials go back to the queue using up none of their
            # retries, as under the serial executor, however often a user interrupts them.
            self.shutdown(INTERRUPTED, counted=False)
            raise
        except BaseException:
            self.shutdown("the search was interrupted")
            raise
        done = [s for s in self.finished_reasons if s != "recycled"]
        return self.stop_reason or (done[0] if done else budget_reached(self.total))

    def step(self) -> None:
        waitables: list[Any] = [s.conn for s in self.slots] + [s.proc.sentinel for s in self.slots]
        wait(waitables, timeout=self.options.poll_interval)
        for slot in list(self.slots):
            self.drain(slot)
            self.police(slot)
            if slot.proc.exitcode is not None:
                self.drain(slot)
                self.reap(slot)

    def drain(self, slot: Slot) -> None:
        try:
            while slot.conn.poll():
                self.handle(slot, slot.conn.recv())
        except (EOFError, OSError):
            pass

    def handle(self, slot: Slot, msg: tuple[Any, ...]) -> None:
        kind = msg[0]
        if kind == "ready":
            slot.greeted = True
            self.failed_starts = 0
            slot.conn.send(("stop",) if self.stopping() else ("go",))
        elif kind == "start":
            slot.trial, slot.started = int(msg[1]), self.clock()
        elif kind == "end":
            number, slot.trial = int(msg[1]), None
            self.announce(number)
        elif kind == "taken":  # taken from the worker after it stalled: announced where it ends
            slot.trial = None
        elif kind == "done":
            slot.finished = str(msg[1])
            self.finished_reasons.append(slot.finished)
        elif kind == "error":
            self.shutdown("a worker could not start")
            raise WorkerSetupError(f"a worker could not start: {msg[1]}")
        elif kind == "deleted":  # nntune delete-study under the search: stop, with its line
            self.shutdown("the study was deleted")
            raise StudyNotFoundError(str(msg[1]))
        elif kind == "full":  # every worker would meet it: stop, the trials' retries untouched
            self.shutdown(DISK_FULL, counted=False)
            raise StorageFull("storage", str(msg[1]))

    def police(self, slot: Slot) -> None:
        """Kill a worker whose trial ran past the timeout or whose memory passed the limit."""
        if slot.trial is None or slot.kill_reason is not None:
            return
        elapsed = self.clock() - slot.started
        if self.options.trial_timeout is not None and elapsed > self.options.trial_timeout:
            self.kill(slot, timed_out(self.options.trial_timeout))
        elif self.options.memory_mb is not None:
            used = private_mb(slot.proc.pid, with_children=True)
            if used > self.options.memory_mb:
                self.kill(slot, f"out of memory: the worker used {used:.0f} MB, "
                                f"over the limit of {self.options.memory_mb:g} MB")

    def reap(self, slot: Slot) -> None:
        """A worker has exited: settle its trial and replace it while there is work."""
        slot.proc.join()
        slot.conn.close()
        self.slots.remove(slot)
        if slot.trial is not None:
            if slot.kill_reason is not None:  # we killed it: the trial itself is at fault
                state = self.study.storage.recover_trial(self.study.id, slot.trial, slot.kill_reason)
            else:
                reason = f"its worker process died ({describe_exit(slot.proc.exitcode)})"
                state = self.study.storage.recover_trial(self.study.id, slot.trial, reason,
                                                         max_retries=self.options.max_retries)
            self.report_recovered({slot.trial: state} if state is not None else {})
        elif slot.proc.exitcode != 0:
            # It may have died between claiming a trial and telling us which: find it by pid.
            self.report_recovered(recover_interrupted(self.study, self.options))
        if not slot.greeted:
            self.failed_starts += 1
            if self.failed_starts > 2 * self.workers:
                raise WorkerSetupError(f"workers keep dying before their first trial "
                                       f"({describe_exit(slot.proc.exitcode)})")
        if not self.stopping() and slot.finished in (None, "recycled"):
            self.spawn(slot.index)

    def report_recovered(self, states: dict[int, TrialState]) -> None:
        announce(self.study, self.callbacks, failed_numbers(states))

    def announce(self, number: int) -> None:
        announce(self.study, self.callbacks, [number])

    def room_left(self) -> bool:
        held = sum(t.state != TrialState.WAITING for t in self.study.get_trials(deepcopy=False))
        return held < self.total and not any(r in EXHAUSTED for r in self.finished_reasons)

    def shutdown(self, reason: str, *, counted: bool = True) -> None:
        """Kill every worker; their trials go back to the queue (or fail past the options'
        retries; not ``counted``, for Ctrl-C, they always go back and use up no retry)."""
        retries = self.options.max_retries
        pids = {slot.proc.pid for slot in self.slots}
        for slot in self.slots:
            self.kill(slot, reason)
        for slot in self.slots:
            slot.proc.join(timeout=10)
        try:
            for slot in self.slots:
                if slot.trial is not None:
                    self.study.storage.recover_trial(self.study.id, slot.trial, reason, max_retries=retries,
                                                     counted=counted)
            # A worker killed between claiming a trial and telling us which one left it running
            # under its own identity: queue it again for the same reason.
            host = socket.gethostname()
            for t in self.study.storage.get_trials(self.study.id, [TrialState.RUNNING], with_metrics=False):
                who = t.system_attrs.get("worker")
                if isinstance(who, dict) and who.get("host") == host and who.get("pid") in pids:
                    self.study.storage.recover_trial(self.study.id, t.number, reason, max_retries=retries,
                                                     counted=counted)
        except StudyNotFoundError:
            pass  # deleted meanwhile: nothing is left to queue again, and the search stops with that
        finally:
            self.slots = []


def run_processes(setup: Setup, study: Study, *, total: int, workers: int,
                  options: WorkerOptions = WorkerOptions(), timeout: float | None = None,
                  callbacks: Sequence[Callback] = (), clock: Callable[[], float] = time.monotonic,
                  target: Callable[..., None] = worker_main) -> str:
    """Run the study with ``workers`` processes until it holds ``total`` trials (running or
    finished), ``timeout`` seconds pass, or a callback calls ``study.stop()``.

    ``setup`` is a picklable callable (a module-level function or a ``functools.partial`` of
    one) that a worker calls once to open the study and build the objective: ``(study,
    objective)``. The built-in objective is rebuilt from its config this way, never pickled.
    ``target`` is what each worker process runs (:func:`worker_main`'s arguments and
    messages; the population executor's processes run their stacks this way).
    Returns why the search stopped.
    """
    pool = ProcessPool(setup, study, total=total, workers=workers, options=options, timeout=timeout,
                       callbacks=callbacks, clock=clock, target=target)
    return pool.run()
