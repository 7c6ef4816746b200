"""A SQLite file locked by another process: the write waits and then goes through, and the
user is told why nothing moves instead of waiting minutes in silence."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from nntune.storage import SQLStorage
from nntune.storage import _engines
from nntune.storage import sql as sql_module


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_write_blocked_by_another_process_says_so_and_lands_once_the_lock_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(_engines, "SQLITE_BUSY_SECONDS", 0.3)  # each attempt waits 0.3 s, not 30
    monkeypatch.setattr(sql_module, "LOCK_NOTICE_AFTER", 0.5)
    path = tmp_path / "s.db"
    storage = SQLStorage(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another program's write transaction, left open
    lines = Lines()
    logger = logging.getLogger("nntune.storage")
    logger.addHandler(lines)
    try:
        threading.Timer(2.5, holder.execute, args=("COMMIT",)).start()
        t0 = time.monotonic()
        sid = storage.create_study("blocked", "minimize")
        waited = time.monotonic() - t0
    finally:
        logger.removeHandler(lines)
        holder.close()
    assert waited >= 2.0
    assert storage.load_study("blocked").id == sid
    locked = [line for line in lines.lines if "the database is locked by another process" in line]
    assert locked and all(line.startswith(f"storage sqlite:///{path}: ") for line in locked)
    assert "waited" in locked[0] and "more times" in locked[0]


def test_a_lock_released_at_once_says_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(_engines, "SQLITE_BUSY_SECONDS", 0.3)
    path = tmp_path / "s.db"
    storage = SQLStorage(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    lines = Lines()
    logger = logging.getLogger("nntune.storage")
    logger.addHandler(lines)
    try:
        threading.Timer(0.2, holder.execute, args=("COMMIT",)).start()
        storage.create_study("quick", "minimize")
    finally:
        logger.removeHandler(lines)
        holder.close()
    assert lines.lines == []


def lock_is_free(path) -> bool:
    other = sqlite3.connect(path, isolation_level=None, timeout=0.2)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@pytest.mark.parametrize("after", ["SELECT", "DELETE", "INSERT", "UPDATE"])
def test_a_ctrl_c_inside_a_write_leaves_no_lock_while_it_unwinds(tmp_path, after):
    # Cleanup that runs while a Ctrl-C unwinds (the trial sent back to the queue, its peak
    # memory) writes to the same file: the transaction the interrupt cut short must not keep
    # the write lock, or that cleanup waits on its own process for ever.
    path = tmp_path / "s.db"
    storage = SQLStorage(f"sqlite:///{path}")
    sid = storage.create_study("s", "minimize")
    number = storage.create_trial(sid)

    def interrupt(conn, cursor, statement, *args):
        if statement.startswith(after):
            raise KeyboardInterrupt

    sa.event.listen(storage.engine, "after_cursor_execute", interrupt)
    try:
        storage.report(sid, number, 1, 0.5)
    except KeyboardInterrupt:
        assert lock_is_free(path)
        sa.event.remove(storage.engine, "after_cursor_execute", interrupt)
        storage.set_trial_system_attr(sid, number, "interrupted", True)  # the cleanup goes through
    else:
        raise AssertionError(f"no {after} statement in a report")
    trial = storage.get_trial(sid, number)
    assert trial.system_attrs["interrupted"] is True and trial.intermediate_values == {}


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_a_long_wait_inside_one_call_is_told_after_seconds_not_after_the_call(tmp_path, monkeypatch):
    # One SQLite call waits up to its busy timeout (30 s) before the retry loop hears of the
    # lock: the notice must come from the wait itself, a few seconds in.
    import subprocess
    import sys

    monkeypatch.setattr(_engines, "SQLITE_BUSY_SECONDS", 20)
    monkeypatch.setattr(sql_module, "LOCK_NOTICE_AFTER", 0.5)
    path = tmp_path / "s.db"
    storage = SQLStorage(f"sqlite:///{path}")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), "3"], stdout=subprocess.PIPE, text=True)
    lines = Lines()
    logger = logging.getLogger("nntune.storage")
    logger.addHandler(lines)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        told: list[float] = []
        lines.emit = lambda record: (lines.lines.append(record.getMessage()), told.append(time.monotonic()))
        t0 = time.monotonic()
        sid = storage.create_study("waited", "minimize")  # one call, waiting on the lock inside it
        done = time.monotonic()
    finally:
        logger.removeHandler(lines)
        holder.wait(timeout=30)
    assert storage.load_study("waited").id == sid and done - t0 >= 1.5
    assert len(lines.lines) == 1, lines.lines  # once, not at every look
    assert lines.lines[0].startswith(f"storage sqlite:///{path}: the database is locked by another process")
    assert "waited 1 s so far" in lines.lines[0] or "waited 0 s so far" in lines.lines[0]
    assert told[0] - t0 < 1.5  # told while waiting, long before the call gave up or went through


def test_a_slow_call_on_a_free_file_is_not_called_locked(tmp_path, monkeypatch):
    from nntune.storage._lock_watch import LockWatch

    said: list[str] = []
    watch = LockWatch(lambda url, waited, left: said.append(url))
    path = tmp_path / "free.db"
    sqlite3.connect(path).close()
    with watch.watching("sqlite:///free.db", str(path), 0.05, 3):
        time.sleep(0.4)  # slow, but nobody holds the lock
    assert said == []
    with watch.watching("sqlite:///gone.db", str(tmp_path / "gone.db"), 0.05, 3):
        time.sleep(0.3)  # a file that is not there is not created by the look
    assert said == [] and not (tmp_path / "gone.db").exists()


def test_a_forked_child_watches_with_a_thread_of_its_own(tmp_path):
    import os

    from nntune.storage._lock_watch import LOCKS

    path = tmp_path / "f.db"
    storage = SQLStorage(f"sqlite:///{path}")
    storage.create_study("parent", "minimize")  # the parent's watch thread runs
    with LOCKS._cond:  # a fork while the watch holds its lock must not leave the child stuck on it
        pid = os.fork()
        if pid == 0:  # the child: a write goes through, watched by a fresh thread
            try:
                SQLStorage(f"sqlite:///{path}").create_study("child", "minimize")
                os._exit(0 if LOCKS._thread is not None and LOCKS._thread.is_alive() else 3)
            except BaseException:
                os._exit(4)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert storage.load_study("child").name == "child"


def test_the_lock_message_counts_its_tries_in_words_that_agree() -> None:
    assert _engines.lock_wait_message("sqlite:///a.db", 61.2, 1).endswith("waited 61 s so far, trying 1 more time")
    assert _engines.lock_wait_message("sqlite:///a.db", 5, 3).endswith("trying 3 more times")


def test_the_file_watched_for_locks_is_the_one_the_url_names_in_either_form(tmp_path):
    from nntune.storage._engines import sqlite_lock_file

    path = tmp_path / "s.db"
    assert sqlite_lock_file(sa.create_engine(f"sqlite:///{path}")) == str(path)
    assert sqlite_lock_file(sa.create_engine(f"sqlite:///file:{path}?mode=rw&uri=true")) == str(path)
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u:p@localhost/s"):
        assert sqlite_lock_file(sa.create_engine(url)) is None, url
