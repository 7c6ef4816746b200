"""A word on stderr when a storage operation on an SQLite file waits on another process's lock.

SQLite waits for a write lock inside one call (``busy_timeout``, 30 s) and nntune retries
that call several times: without a word, a file left locked by another program (a
``sqlite3`` shell inside ``BEGIN EXCLUSIVE``) makes a command sit silent for minutes before
its error. One thread, started with the first operation and asleep while none is long,
looks at the operations that have run ``after`` seconds; for one whose file's write lock
another connection holds, it logs one line, once per operation.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nntune.logging import get_logger
from nntune.storage._engines import lock_wait_message


@dataclass
class Waiting:
    """An operation under watch: its storage's URL and file, when it started, how long it
    may run unremarked, when it is next looked at, and how many more tries its retry loop has."""

    url: str
    path: str
    start: float
    after: float
    due: float
    attempts_left: int


def write_lock_held(path: str) -> bool:
    """Whether another connection holds ``path``'s write lock now: taking it without waiting
    fails as "database is locked" (taken, it is given back at once)."""
    try:  # mode=rw: a file gone meanwhile is not created anew
        probe = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=rw", uri=True, timeout=0,
                                isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as err:
        text = str(err).lower()
        return "locked" in text or "busy" in text
    finally:
        probe.close()


def due_now(waiting: dict[int, Waiting], now: float) -> list[int]:
    """The operations whose time to be looked at has come."""
    return [key for key, w in waiting.items() if w.due <= now]


def next_due(waiting: dict[int, Waiting]) -> float | None:
    return min((w.due for w in waiting.values()), default=None)


class LockWatch:
    """Calls ``say(url, waited, attempts_left)`` once for an operation that has run
    ``after`` seconds (given at :meth:`begin`) while ``held(path)`` says its file is locked
    elsewhere; an operation that is merely slow is looked at again ``after`` seconds later."""

    def __init__(self, say: Callable[[str, float, int], None], *, held: Callable[[str], bool] = write_lock_held,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._say, self._held, self._clock = say, held, clock
        self._keys = itertools.count()
        self._fresh()

    def _fresh(self) -> None:
        """Nothing watched and no thread: as built, and in a forked child, which has no copy
        of the parent's thread and may have copied its lock held."""
        self._waiting: dict[int, Waiting] = {}
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._until: float | None = None  # when the thread wakes next (None: when told)

    def begin(self, url: str, path: str, after: float, attempts_left: int) -> int:
        """Watch an operation from now; the key it returns ends the watch (:meth:`end`)."""
        now = self._clock()
        with self._cond:
            key = next(self._keys)
            self._waiting[key] = Waiting(url, path, now, after, now + after, attempts_left)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nntune-lock-watch", daemon=True)
                self._thread.start()
            elif self._until is None or self._until > now + after:
                self._cond.notify()  # asleep past this deadline (with nothing to watch: for good)
        return key

    def retrying(self, key: int, attempts_left: int) -> None:
        """The operation failed and is tried again, ``attempts_left`` more times at most."""
        with self._cond:
            if key in self._waiting:
                self._waiting[key].attempts_left = attempts_left

    def end(self, key: int) -> None:
        with self._cond:
            self._waiting.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                due = next_due(self._waiting)
                now = self._clock()
                if due is None or due > now:
                    self._until = due
                    self._cond.wait(None if due is None else due - now)
                    continue
                looked = [(key, self._waiting[key]) for key in due_now(self._waiting, now)]
                for key, w in looked:
                    w.due = now + w.after
            # The probe opens the file: done outside the lock, so that operations starting
            # or ending meanwhile do not wait on it.
            for key, w in looked:
                if self._held(w.path):
                    with self._cond:
                        if self._waiting.pop(key, None) is None:
                            continue  # ended meanwhile: it waits no more
                    self._say(w.url, self._clock() - w.start, w.attempts_left)

    @contextlib.contextmanager
    def watching(self, url: str, path: str | None, after: float,
                 attempts_left: int) -> Iterator[Callable[[int], None]]:
        """Watch the operation inside the ``with`` (nothing without a ``path``); it gets a
        function to call with the tries left after each failed one."""
        if path is None:
            yield lambda left: None
            return
        key = self.begin(url, path, after, attempts_left)
        try:
            yield lambda left: self.retrying(key, left)
        finally:
            self.end(key)


def _say(url: str, waited: float, attempts_left: int) -> None:
    get_logger("nntune.storage").warning(lock_wait_message(url, waited, attempts_left))


LOCKS = LockWatch(_say)  # one thread for every SQLite storage of the process
if hasattr(os, "register_at_fork"):  # not on Windows, which never forks
    os.register_at_fork(after_in_child=LOCKS._fresh)
