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
