"""The signals that end a command from outside it, ``kill`` (SIGTERM: systemd, ``docker
stop``, a batch scheduler's preemption) and a closed terminal or dropped SSH connection
(SIGHUP), taken as Ctrl-C for the whole command: before, during and after the search, its
cleanup runs (no half-written report or model file left beside the real one), and it ends
with Ctrl-C's one line and exit code 130, as the README says."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def interrupted_line(executor: str, workers: int) -> str:
    """The line ``nntune tune`` ends with on Ctrl-C: how its study was left. Several trials
    train at once under worker processes, Ray actors and the population executor's stacks,
    and each of them goes back to the queue, so the line speaks of them all."""
    many = executor == "population" or workers > 1
    queued = "the interrupted ones are" if many else "an interrupted one is"
    return f"nntune: interrupted; finished trials are kept and {queued} queued again: the same command continues"


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def terminations_as_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread while the block runs
    (``main``: the whole command), then the handlers before it are back (a command run
    in-process, as tests and notebooks do, leaves no handler behind). Only a signal still at
    its default action is taken: an ignored SIGHUP, under ``nohup``, stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = {sig: signal.getsignal(sig) for sig in TERMINATING if signal.getsignal(sig) is signal.SIG_DFL}
    for sig in taken:
        signal.signal(sig, _interrupt)
    try:
        yield
    finally:
        for sig, before in taken.items():
            signal.signal(sig, before)
