"""One worker process of the local pool: opens the study itself and loops ask -> train ->
report -> tell against the shared storage, asking the supervisor before each trial.

Messages to the supervisor: ``("ready",)`` before each trial, ``("start", number)`` once a
trial is claimed, ``("end", number)`` once it is told (``("taken", number)`` when it was
taken from this worker after it stalled past the heartbeat grace), ``("done", why)`` when the study has
no more room, ``("error", text)`` when setting up failed, ``("deleted", text)`` when the study
was deleted under it, ``("full", text)`` when the storage's disk is full. Answers: ``("go",)``, ``("stop",)``.
The worker exits when its parent dies (it never outlives the ``nntune`` process).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from nntune.executors._common import WAIT_SECONDS, WorkerOptions, admission, budget_reached, worker_identity
from nntune.executors._memory import PeakMemory
from nntune.executors._running import Heartbeat, run_measured, termination_as_interrupt
from nntune.storage._base import StorageFull, StudyNotFoundError
from nntune.train.stack_fork import parent_death_kills

if TYPE_CHECKING:
    from nntune.study import Objective, Study

Setup = Callable[[], "tuple[Study, Objective]"]


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (the supervisor, or its fork
    server, which exits with the supervisor); elsewhere the heartbeat thread notices that
    the supervisor is gone and exits."""
    parent_death_kills()
    release_fork_server()


def release_fork_server() -> None:
    """Close the fork server's "alive" pipe that a child of the server inherits.

    The server exits when every holder of that pipe is gone, and every child it forks gets
    a copy (so that the child could fork through it in turn). Held by the workers, it kept
    the server alive past the supervisor, and with it the workers (whose parent it is):
    a worker then lived on until its heartbeat noticed, training and writing meanwhile. A
    worker starts no processes through the server (a later request would start a new one),
    so it lets the pipe go and the server exits with the supervisor."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if server is None or fd is None or getattr(server, "_forkserver_pid", None) is not None:
        return  # not a child of a fork server (the server's own client holds a pid)
    try:
        os.close(fd)
    except OSError:
        pass
    server._forkserver_alive_fd = None


def limit_threads(threads: int, *, native: bool = True) -> None:
    """Torch (and the BLAS below it) use ``threads`` threads in this worker. The variables
    reach libraries loaded later; those a fork server loaded already are limited in place
    (with ``native``: threadpoolctl scans every loaded library, some 30 ms)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    if native and "numpy" in sys.modules:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        threadpool_limits(threads)


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie does not)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def worker_main(setup_payload: bytes, conn: Connection, options: WorkerOptions, total: int,
                env: dict[str, str], threads: int, parent_pid: int) -> None:
    """Entry point of a worker (``env`` first, so torch sees the GPU and threads). Its parent
    is the supervisor (``parent_pid``) or the supervisor's fork server."""
    try:
        built = set_up_worker(setup_payload, conn, env, threads)
        if built is None:
            return
        study, objective = built
        # Who runs the trial, and the search process that started it (see supervisor_gone).
        supervisor = worker_identity(parent_pid)
        identity = {**worker_identity(), "supervisor": {"pid": parent_pid, "started": supervisor["started"]}}
        peak = PeakMemory()
        with termination_as_interrupt(), Heartbeat(study.storage, study.id, options.heartbeat_interval, peak,
                                                   is_orphan=lambda: not alive(parent_pid),
                                                   on_orphan=lambda: os._exit(1)) as hb:
            _loop(study, objective, conn, options, total, identity, hb)
    except KeyboardInterrupt:
        # Ctrl-C reaches the whole process group, also while a worker is still setting up:
        # run_measured has queued its trial again and the supervisor says so in one line,
        # so nothing is printed here (multiprocessing would print the worker's name).
        return
    except SUPERVISOR_GONE:
        # The supervisor died (kill -9) before this worker's death signal was armed, e.g.
        # while it was still setting up: an end, not an error. A trial it had claimed still
        # names this process, so the next run queues it again at once.
        return
    except StorageFull as err:
        # No trial's fault: the supervisor queues the trial again using up none of its retries
        # (which are for trials that crash their process) and ends the search with this line.
        try:
            conn.send(("full", err.problem))
        except SUPERVISOR_GONE:
            pass
    except StudyNotFoundError as err:
        # The study was deleted under the search (nntune delete-study): the supervisor meets
        # the same error and says so in one line; a traceback per worker would bury it.
        try:
            conn.send(("deleted", str(err)))
        except SUPERVISOR_GONE:
            pass


# What talking to a supervisor that no longer exists raises.
SUPERVISOR_GONE = (BrokenPipeError, ConnectionResetError, EOFError)


def set_up_worker(setup_payload: bytes, conn: Connection, env: dict[str, str], threads: int) -> Any:
    """What every worker process does first: ``env`` (so torch sees the GPU and threads),
    its threads, death with its parent, then the pickled set-up called. Its result, or
    ``None`` once a failure was reported to the supervisor."""
    os.environ.update(env)
    limit_threads(threads, native=False)  # the libraries themselves once set-up has loaded all
    die_with_parent()
    try:
        setup: Callable[[], Any] = pickle.loads(setup_payload)  # from the supervisor, never from storage
        built = setup()
        limit_threads(threads)
    except BaseException as err:  # noqa: BLE001 - reported to the supervisor, then exit
        conn.send(("error", f"{type(err).__name__}: {err}\n{traceback.format_exc()[-3000:]}"))
        return None
    return built


def _loop(study: Study, objective: Objective, conn: Connection, options: WorkerOptions, total: int,
          identity: dict[str, Any], heartbeat: Heartbeat) -> None:
    ran = 0
    while options.max_trials_per_worker is None or ran < options.max_trials_per_worker:
        conn.send(("ready",))
        if conn.recv()[0] != "go":
            return
        verdict, why = admission(study, total)
        if verdict == "done":
            conn.send(("done", why))
            return
        if verdict == "wait":  # running members may still be replaced: ask again soon
            time.sleep(WAIT_SECONDS)
            continue
        trial = study.try_ask(total, system_attrs={"worker": identity}, waiting_only=verdict == "queued")
        if trial is None and verdict == "queued":
            continue  # another worker took the queued trial first: look again
        if trial is None:
            conn.send(("done", budget_reached(total)))
            return
        conn.send(("start", trial.number))
        if run_measured(study, trial, objective, heartbeat) is None:
            conn.send(("taken", trial.number))  # it runs elsewhere now: nothing to announce
        else:
            conn.send(("end", trial.number))
        ran += 1
    conn.send(("done", "recycled"))
