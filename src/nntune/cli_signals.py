"""The signals that end a command from outside it, ``kill`` (SIGTERM: systemd, ``docker
stop``, a batch scheduler's preemption) and a closed terminal or dropped SSH connection
(SIGHUP), taken as Ctrl-C for the whole command: before, during and after the search, its
cleanup runs (no half-written report or model file left beside the real one), and it ends
with Ctrl-C's one line and exit code 130, as the README says."""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any


# The line a Ctrl-C ends a command with (printed by the CLI's entry point); ``tune`` and
# ``babysit`` say here how their study was left.
INTERRUPTED = ["nntune: interrupted"]

INTERRUPT_AGAIN_S = 0.01
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


def _interrupt_main_outside(code: CodeType) -> None:
    """Ctrl-C for the main thread once none of its frames runs ``code`` (the hook below). A
    fixed delay was not enough: on a busy machine the main thread was still in the hook when
    the interrupt landed, where it was ignored again, and the command went on."""
    main = threading.main_thread().ident
    while True:
        time.sleep(INTERRUPT_AGAIN_S)
        frame = sys._current_frames().get(main) if main is not None else None
        while frame is not None and frame.f_code is not code:
            frame = frame.f_back
        if frame is None:
            _thread.interrupt_main()
            return


def _interrupt_again(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """An unraisable-exception hook for the command: Ctrl-C that lands while the main thread
    runs a finalizer (a pooled database connection collected mid-search) is printed by
    Python as an ignored exception, with its traceback, and dropped. It is raised again
    instead, at the next point the command can take it; anything else is ``previous``'s."""
    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and callable(signal.getsignal(signal.SIGINT)):
            # Raised from here, it would land in this hook, ignored again: from another thread,
            # once the main thread has left the hook, it reaches it in the command's own code.
            # (A thread started without waiting for it: threading's start waits, in this hook.)
            _thread.start_new_thread(_interrupt_main_outside, (hook.__code__,))
            return
        previous(unraisable)
    return hook


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
    hook = sys.unraisablehook
    sys.unraisablehook = _interrupt_again(hook)
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for sig, before in taken.items():
            signal.signal(sig, before)
