"""Shards of a stack trained in forked processes, one thread each, instead of threads of one process.

Why: two shards on two threads of one process share the interpreter's lock, and each of a
step's hundred-odd operations hands it over. Measured on a 2-core VM (2026-12-07), one
thread per shard: an in-place multiply of a [16, 64, 128] tensor took 16 us alone and
21-24 us a call on each of two threads, but 16-18 us in each of two processes; a batched
product of the digits MLP's shapes ran 1.6-1.8x faster on two threads than on one, and
1.9-2.0x on two processes. Waking a thread that waits for the lock costs a VM tens of
microseconds. 32 digits MLPs for 10 epochs as 2 shards: 0.85 s in threads against 0.72 s
in processes (medians of 4, alternated), with equal results.

A shard process is a fork of the caller: it inherits the stacks already built (their
initial weights drawn in the parent, in order) and the data without copying them. It
trains its stack to the end and sends its results back pickled. The caller's ``report``
is called in the caller, one report at a time, as with threads: a shard sends each
member's epoch and waits for the answer. A shard that fails sends its error, which the
caller raises; the caller's error or Ctrl-C kills every shard. A shard dies with its
parent (Linux's parent-death signal) and ignores Ctrl-C, which reaches the whole
process group: the caller decides. Only where forking is safe (:func:`can_fork`):
Linux, and no other thread in the process but nntune's own fork-safe ones, since a fork
copies only the calling thread and a lock another thread holds would stay held in the
child forever.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any

PR_SET_PDEATHSIG = 1
Report = Callable[[Any, int, dict], bool]


# Python 3.12 and later warn at every fork while another thread runs. A shard forks beside
# nntune's own fork-safe threads alone (can_fork), or where a caller asked for it whatever
# runs (stack_run.SHARD_PROCESSES = "always"): the warning is silenced for this module's forks.
warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning,
                        module=r"nntune\.train\.stack_fork")

# nntune's own threads that a fork leaves nothing locked for: the SQLite lock watch holds
# its lock only to read its list, and a child makes its watch afresh (storage/_lock_watch.py).
FORK_SAFE_THREADS = frozenset({"nntune-lock-watch"})


def can_fork() -> bool:
    """Whether shards may run as forked processes here: on Linux, with no other thread
    running but those of :data:`FORK_SAFE_THREADS`."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and fork_safe(
        threading.enumerate(), threading.current_thread())


def fork_safe(threads: Iterable[threading.Thread], here: threading.Thread) -> bool:
    """Whether a fork from ``here`` leaves no lock held: every other of ``threads`` is one of
    nntune's own fork-safe threads."""
    return all(t is here or t.name in FORK_SAFE_THREADS for t in threads)


def parent_death_kills() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl(
            PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _sendable(err: BaseException) -> BaseException:
    """``err`` if it survives a pickle round trip, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


def _child(run: Callable[[Report | None], list], conn: Connection, with_report: bool) -> None:
    """The shard's side: train, answering each report through ``conn``; never returns."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        parent_death_kills()
        import torch

        torch.set_num_threads(1)

        def report(key: Any, epoch: int, record: dict) -> bool:
            conn.send_bytes(pickle.dumps(("report", key, epoch, record)))
            return bool(pickle.loads(conn.recv_bytes()))

        results = run(report if with_report else None)
        conn.send_bytes(pickle.dumps(("done", results)))
    except BaseException as err:  # noqa: BLE001 - every failure goes to the parent, which raises it
        code = 1
        try:
            conn.send_bytes(pickle.dumps(("error", _sendable(err))))
        except BaseException:  # noqa: BLE001 - the parent is gone or the pipe broke: nothing to tell
            pass
    finally:
        _flush_streams()  # os._exit drops what the shard printed and Python still holds
        os._exit(code)


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


def run_forked(runs: Sequence[Callable[[Report | None], list]], report: Report | None) -> list:
    """Each of ``runs`` (a shard: ``run(report) -> results``) in a forked process of its own;
    their results in order, concatenated. ``report`` is called here for every shard."""
    _flush_streams()  # what is buffered would be written by every child too
    children: dict[Connection, tuple[int, int]] = {}  # the parent's end -> (shard's index, pid)
    results: dict[int, list] = {}
    try:
        for i, run in enumerate(runs):
            mine, theirs = Pipe()
            pid = os.fork()
            if pid == 0:
                mine.close()
                _child(run, theirs, report is not None)
            theirs.close()
            children[mine] = (i, pid)
        pending = dict(children)
        while pending:
            for conn in wait(list(pending)):
                index, pid = pending[conn]
                try:
                    kind, *payload = pickle.loads(conn.recv_bytes())  # type: ignore[union-attr]
                except (EOFError, OSError):
                    raise RuntimeError(f"a stack shard (process {pid}) ended without its results; "
                                       f"killed, perhaps for memory") from None
                if kind == "report":
                    assert report is not None
                    conn.send_bytes(pickle.dumps(bool(report(*payload))))  # type: ignore[union-attr]
                elif kind == "done":
                    results[index] = payload[0]
                    del pending[conn]
                else:
                    raise payload[0]
    finally:
        for conn, (index, pid) in children.items():
            if index not in results:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            conn.close()
        for _index, pid in children.values():
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return [r for i in range(len(runs)) for r in results[i]]
