"""The population executor on several devices: one process per device, each training its own
stacks (``run_population``) against the study's one storage (``--executor population
--workers N``).

The processes are the local pool's workers (``_processes``: spawned from the pool's context,
dead ones detected and replaced while there is work, all killed on Ctrl-C) with another
entry point. Each asks, trains and tells its own members; the storage keeps them apart:
trials are claimed within the shared budget (never one twice), a process re-queues only the
trials of a process that is gone or silent past the grace (a sibling's live members beat),
a block's structure is the one stored first (``StructureAsker.settle``), and each process
stores its stacks' figures under its own name in the ``population`` attribute. As a member
ends the process tells the supervisor (``("end", number)``, so progress, patience and PBT's
replacements run there as under the local pool) and asks whether to go on (``("ready",)``:
``("go",)`` or ``("stop",)``, after which it starts no more members).

Devices: ``cuda:i`` for process i where the machine has at least N GPUs (each process sees
only its own, ``CUDA_VISIBLE_DEVICES``); on a machine without GPUs N processes share the
cores out (``thread_share``), each with its own stacks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from nntune.exceptions import ConfigError
from nntune.executors._common import Callback, WorkerOptions, recover_interrupted
from nntune.executors._population import run_population
from nntune.executors._processes import run_processes
from nntune.executors._memory import PeakMemory
from nntune.executors._running import Heartbeat
from nntune.executors._worker import alive, set_up_worker

if TYPE_CHECKING:
    from nntune.study import Study
    from nntune.trial import FrozenTrial


@dataclass
class PopulationJob:
    """What a population process trains: the stacked trainer, K, and the search's timeout."""

    trainer: Any  # a nntune.builtin_stack.StackTrainer
    population: int | str
    timeout: float | None
    processes: int = 1  # population processes started together on the study
    structure_block: int | str = "auto"  # trials per structure (see run_population)


READY_ATTR = "population_ready"  # the processes set up so far, under their supervisor's pid
READY_WAIT = 10.0  # seconds a process waits at most for its siblings to be set up


def wait_for_siblings(study: Study, supervisor: int, name: str, processes: int, *,
                      clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                      poll: float = 0.05, limit: float = READY_WAIT) -> int:
    """Mark this process set up and wait (at most ``limit`` seconds) until ``processes`` of
    its supervisor's processes are: the first one set up would otherwise take the first
    trials of a small study alone (2 of 12 were left to the second, measured). Returns how
    many processes were set up when it went on. A process started later (one replacing a
    dead sibling) finds them all marked and goes on at once."""

    def mark(stored: Any) -> dict[str, list[str]]:
        names = stored.get(str(supervisor), []) if isinstance(stored, dict) else []
        return {str(supervisor): sorted({*names, name})}  # older runs' marks go

    ready = study.storage.merge_study_attr(study.id, READY_ATTR, mark)
    deadline = clock() + limit
    while len(ready[str(supervisor)]) < processes and clock() < deadline:
        sleep(poll)
        rec = study.storage.load_study(study.study_name)
        stored = rec.attrs.get(READY_ATTR) if rec is not None else None
        ready = stored if isinstance(stored, dict) and str(supervisor) in stored else mark(stored)
    return len(ready[str(supervisor)])


def population_devices(workers: int, gpus: int) -> list[str]:
    """The device of each of ``workers`` population processes on a machine with ``gpus``
    GPUs: ``cuda:0`` ... ``cuda:N-1``, or ``cpu`` for each where there is no GPU. More
    processes than GPUs would put two on one device: refused."""
    if workers < 1:
        raise ConfigError("search.workers", f"must be >= 1, got {workers}")
    if gpus <= 0:
        return ["cpu"] * workers
    if workers > gpus:
        raise ConfigError("search.workers", f"the population executor runs one process per GPU; "
                                            f"{workers} asked, this machine has {gpus}")
    return [f"cuda:{i}" for i in range(workers)]


def process_name(env: dict[str, str]) -> str:
    """This process's name among its siblings: its GPU (``cuda:3``) or ``cpu:<index>``."""
    gpu = env.get("CUDA_VISIBLE_DEVICES")
    if gpu:
        return f"cuda:{gpu}"
    return f"cpu:{mp.current_process().name.rsplit('-', 1)[-1]}"


def population_main(setup_payload: bytes, conn: Connection, options: WorkerOptions, total: int,
                    env: dict[str, str], threads: int, parent_pid: int) -> None:
    """Entry point of one population process (the local pool's worker arguments): set up,
    wait for the supervisor's go, then run its stacks until the study needs no more."""
    built = set_up_worker(setup_payload, conn, env, threads)
    if built is None:
        return
    study, job = built
    try:
        _serve(study, job, conn, options, total, env, parent_pid)
    except KeyboardInterrupt:
        # Ctrl-C reaches the whole process group: run_population has re-queued this
        # process's members; the supervisor says so in one line, so nothing is printed here.
        return


def _serve(study: Study, job: PopulationJob, conn: Connection, options: WorkerOptions, total: int,
           env: dict[str, str], parent_pid: int) -> None:
    conn.send(("ready",))
    if conn.recv()[0] != "go":
        return
    wait_for_siblings(study, parent_pid, process_name(env), job.processes)

    def tell_supervisor(study: Study, frozen: FrozenTrial) -> None:
        conn.send(("end", frozen.number))
        conn.send(("ready",))
        if conn.recv()[0] != "go" and not study.stop_requested:
            study.stop("the supervisor stopped the search")

    # Beats for no trial (run_population beats for its members): it only ends this process
    # once the supervisor is gone (looked at twice a second; 2.4 s from a kill -9 of the
    # supervisor to its processes gone, measured), so a rerun re-queues their members.
    with Heartbeat(study.storage, study.id, options.heartbeat_interval, PeakMemory(),
                   is_orphan=lambda: not alive(parent_pid), on_orphan=lambda: os._exit(1)):
        why = run_population(study, job.trainer, total=total, population=job.population, timeout=job.timeout,
                             structure_block=job.structure_block,
                             callbacks=[tell_supervisor], options=options, process=process_name(env))
    conn.send(("done", why))


def run_population_workers(setup: Callable[[], tuple[Study, PopulationJob]], study: Study, *, total: int,
                           workers: int, options: WorkerOptions = WorkerOptions(),
                           timeout: float | None = None, callbacks: Sequence[Callback] = (),
                           clock: Callable[[], float] = time.monotonic) -> str:
    """Run the study with ``workers`` population processes (one per device) until it holds
    ``total`` trials, ``timeout`` passes or a callback stops it. ``setup`` is a picklable
    callable each process calls once: ``(study, PopulationJob)``. On Ctrl-C the processes
    are killed and their running members re-queued at once. Returns why it stopped."""
    try:
        return run_processes(setup, study, total=total, workers=workers, options=options,  # type: ignore[arg-type]
                             timeout=timeout, callbacks=callbacks, clock=clock, target=population_main)
    except BaseException:
        recover_interrupted(study, options)  # the killed processes' members wait for the next run
        raise
