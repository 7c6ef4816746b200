"""The signals that end a command from outside it, ``kill`` (SIGTERM: systemd, ``docker
stop``, a batch scheduler's preemption) and a closed terminal or dropped SSH connection
(SIGHUP), taken as Ctrl-C for the whole command: before, during and after the search, its
cleanup runs (no half-written report or model file left beside the real one), and it ends
with Ctrl-C's one line and exit code 130, as the README says."""

from __future__ import annotations

import signal
import threading

TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def terminations_as_ctrl_c() -> None:
    """SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread from now on. Set in
    ``main`` only, and only over a signal still at its default action (an ignored SIGHUP,
    under ``nohup``, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in TERMINATING:
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _interrupt)
