"""Ctrl-C that lands while the main thread runs a finalizer (a pooled database connection
collected mid-search) was printed by Python as an ignored exception with its traceback, and
dropped: under ``nntune`` it is raised again where the command takes it, with no traceback."""

from __future__ import annotations

import gc
import sys
import time

import pytest

from nntune.cli_signals import terminations_as_ctrl_c


class InterruptedWhileCollected:
    def __del__(self) -> None:
        raise KeyboardInterrupt  # as the signal handler raises it, inside the finalizer


def test_an_interrupt_inside_a_finalizer_is_raised_again_without_a_traceback(capsys) -> None:
    with terminations_as_ctrl_c():
        with pytest.raises(KeyboardInterrupt):
            InterruptedWhileCollected()
            gc.collect()
            for _ in range(100):  # the signal is taken at the next point Python checks for one
                time.sleep(0.01)
    assert "Exception ignored" not in capsys.readouterr().err


def test_the_interrupt_waits_for_the_main_thread_to_leave_the_hook(capsys, monkeypatch) -> None:
    """On a busy machine the main thread may still be in the hook when the interrupt is due:
    landing there, it was ignored again and the command went on. Held in the hook for 50 ms
    after it starts its helper (however it starts it), it still gets the interrupt outside."""
    import _thread
    import threading
    import types

    import nntune.cli_signals as cli_signals

    def held(start):
        def starting(*args, **kwargs):
            started = start(*args, **kwargs)
            time.sleep(0.05)  # the main thread, descheduled, still in the hook
            return started
        return starting

    monkeypatch.setattr(threading.Timer, "start", held(threading.Timer.start))
    monkeypatch.setattr(cli_signals, "_thread", types.SimpleNamespace(
        start_new_thread=held(_thread.start_new_thread), interrupt_main=_thread.interrupt_main))
    test_an_interrupt_inside_a_finalizer_is_raised_again_without_a_traceback(capsys)


def test_other_unraisable_exceptions_and_the_hook_itself_are_left_as_they_were() -> None:
    before = sys.unraisablehook
    seen = []
    sys.unraisablehook = lambda u: seen.append(type(u.exc_value))
    try:
        with terminations_as_ctrl_c():
            class Broken:
                def __del__(self) -> None:
                    raise ValueError("in a finalizer")
            Broken()
            gc.collect()
        assert seen == [ValueError]
    finally:
        sys.unraisablehook = before
    assert sys.unraisablehook is before
