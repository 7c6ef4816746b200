"""A SQLite file locked by another process: the write waits and then goes through, and the
user is told why nothing moves instead of waiting minutes in silence."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

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
