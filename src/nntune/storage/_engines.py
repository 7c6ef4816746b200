"""SQLAlchemy engines for nntune's two databases, and which of their errors are worth a retry.

SQLite: WAL mode, a busy timeout, and BEGIN IMMEDIATE for every transaction that may write
(two writers never deadlock on a lock upgrade); read-only transactions take a plain
deferred BEGIN so that readers never wait on writers. WAL mode is written into the file, so an
engine sets it only once :func:`create_schema` has seen that the database is nntune's (or
new): another program's file is left as it was found. PostgreSQL: ``postgresql://`` goes
through whichever driver is installed (psycopg 3 or psycopg2), connections are checked
before use, and schema creation is serialized with an advisory lock so that many workers
may open a fresh database at once.
"""

from __future__ import annotations

import importlib.util
import os
import traceback
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from nntune._words import counted
from nntune.exceptions import ConfigError

READ_ONLY = "nntune_read_only"  # execution option: this transaction only reads
# Engine execution option: create_schema found nntune's database (or a new one) behind this
# engine, so its SQLite connections may switch the file to WAL mode.
CHECKED = "nntune_checked"
_SCHEMA_LOCK = 7_352_901  # pg_advisory_xact_lock key while creating tables
# Seconds to wait for a PostgreSQL server to answer a new connection. Without it, a host that
# drops packets (a firewall, a machine gone) holds each attempt for libpq's 130 s, and every
# retry again. A URL's own ``?connect_timeout=`` (or ``connect_args``) wins.
CONNECT_TIMEOUT = 10

TRANSIENT = ("locked", "busy", "deadlock", "could not serialize", "connection", "server closed",
             "terminating connection", "too many clients", "timeout", "timed out")


def is_in_memory_sqlite(url: str) -> bool:
    """Whether ``url`` is an SQLite database in memory, however it is spelled: ``sqlite://``,
    ``sqlite:///`` or ``sqlite:///:memory:``, with a driver (``sqlite+pysqlite://``) or a
    query too. Each connection to such a database is a database of its own, so the storage
    must hold one connection for all its threads (a heartbeat's, ``n_jobs``')."""
    if not url.startswith("sqlite"):
        return False
    try:
        parsed = sa.engine.make_url(url)
    except Exception:  # malformed: opening it says why
        return False
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def sqlite_lock_file(engine: Engine) -> str | None:
    """The file whose write lock an SQLite engine's long waits are looked at: the file its URL
    names, in SQLite's URI form too (:func:`nntune.storage.sqlite_file`); None for another
    database or one in memory."""
    if engine.dialect.name != "sqlite":
        return None
    from nntune.storage import sqlite_file  # the package imports this module first

    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return None if not path or path == ":memory:" else path


def driver_url(url: str, *, has_module: Callable[[str], bool] | None = None) -> str:
    """``postgresql://`` (or ``postgres://``) with an explicit driver that is installed.

    SQLAlchemy's bare ``postgresql://`` means psycopg2; nntune depends on psycopg 3, so the
    bare form is pointed at whichever of the two is importable. Explicit drivers are kept.
    """
    has = has_module or (lambda name: importlib.util.find_spec(name) is not None)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            driver = "psycopg" if has("psycopg") or not has("psycopg2") else "psycopg2"
            return f"postgresql+{driver}://" + url[len(prefix):]
    return url


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print.

    Read from the text, not from SQLAlchemy's parse: a URL it cannot parse (a port that is
    no number) would come back whole, and a password with a raw ``@`` or ``/`` would be
    split at the wrong place, printing its tail as the host. Everything from the user's
    ``:`` to the authority's last ``@`` is hidden, so a part of a password never shows."""
    user = _user_info(url)
    if user is None or ":" not in user:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{user.split(':', 1)[0]}:***{rest[len(user):]}"


def _user_info(url: str) -> str | None:
    """What comes between ``://`` and the last ``@`` before the query: the user and password
    of a database URL (None without them, and for a file's URL, which has none)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.startswith(("sqlite", "journal")):
        return None
    user, at, _ = rest.split("?", 1)[0].split("#", 1)[0].rpartition("@")
    return user if at else None


def url_problem(url: str) -> str | None:
    """Why a database URL cannot be what its writer meant (None when it can): a raw ``@`` in
    the password ends it there for every URL parser, and the rest is taken for the host,
    which the driver's error would then print."""
    user = _user_info(url)
    if user is not None and "@" in user:
        return "its user or password holds a raw @: write it as %40 (and : as %3A, / as %2F)"
    return None


SQLITE_BUSY_SECONDS = 30  # how long one SQLite statement waits for another process's write lock
LOCK_NOTICE_AFTER = 5.0  # seconds of waiting on a lock before the user is told why nothing moves


def is_lock_wait(err: DBAPIError) -> bool:
    """Another process holds the database's write lock (SQLite's "database is locked")."""
    text = str(getattr(err, "orig", err)).lower()
    return "locked" in text or "busy" in text


def lock_wait_message(url: str, waited: float, attempts_left: int) -> str:
    """One line for a write that has waited ``waited`` seconds on another process's lock."""
    return (f"storage {redact_url(url)}: the database is locked by another process (a long write, or a "
            f"program holding it open); waited {waited:.0f} s so far, trying {counted(attempts_left, 'more time')}")


def is_transient(err: DBAPIError) -> bool:
    """A lock, a serialization conflict or a dropped connection: retrying may succeed."""
    if getattr(err, "connection_invalidated", False):
        return True
    text = str(getattr(err, "orig", err)).lower()
    return any(s in text for s in TRANSIENT)


# What SQLite (a file nntune may not write) and PostgreSQL (a read-only transaction: a
# standby, default_transaction_read_only) say when a write is refused for good.
READ_ONLY_SIGNS = ("readonly database", "read-only transaction", "read-only file system")


# PostgreSQL's SQLSTATE for "permission denied": a role without a privilege nntune needs.
INSUFFICIENT_PRIVILEGE = "42501"

# What SQLite (SQLITE_FULL) and PostgreSQL (SQLSTATE 53100, disk_full) say when the disk
# holding the database has no room left: retrying at once frees none, and the driver's
# traceback (one per write the search still tried while it unwound) buried the cause.
DISK_FULL_SIGNS = ("database or disk is full", "no space left on device")
DISK_FULL = "53100"


def refusal(err: DBAPIError) -> str | None:
    """What to say, after the storage's URL, when the database refuses for good (no retry
    helps): it cannot be written at all, its disk is full, or the URL's user lacks a
    privilege; else None."""
    text = str(getattr(err, "orig", err)).strip()
    line = text.splitlines()[0] if text else type(err).__name__
    if is_read_only(err):
        return f"cannot be written ({line}); nntune writes every trial there: give it a file or database it may write"
    if is_disk_full(err):
        return (f"cannot be written: the disk it is on is full ({line}); the change was not made, and what "
                f"was stored before is kept: free some space and run again")
    if _code(err) == INSUFFICIENT_PRIVILEGE:
        return (f"refuses the URL's user ({line}); nntune needs SELECT, INSERT, UPDATE and DELETE on its "
                f"tables, USAGE on their sequences, and CREATE on the schema for a new database")
    return None


def is_read_only(err: DBAPIError) -> bool:
    """Whether the database refused a write because it may only be read (a file, a mount, a
    server's read-only transaction)."""
    return any(sign in str(getattr(err, "orig", err)).lower() for sign in READ_ONLY_SIGNS)


def is_disk_full(err: DBAPIError) -> bool:
    """Whether the database refused a write because the disk under it is full."""
    text = str(getattr(err, "orig", err)).lower()
    return _code(err) == DISK_FULL or any(sign in text for sign in DISK_FULL_SIGNS)


def _code(err: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of the error (psycopg 3's name, psycopg2's), None from SQLite."""
    return getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)


def is_connect_timeout(err: DBAPIError) -> bool:
    """No answer to a new connection within its timeout: another attempt waits as long again."""
    text = str(getattr(err, "orig", err)).lower()
    return "timeout expired" in text or "timed out" in text


def release_interrupted_cursor(err: BaseException) -> None:
    """Drop what the frames of an interrupt (Ctrl-C, SystemExit) still hold of the statement
    it cut short.

    SQLAlchemy closes a connection that an interrupt cut off in the middle of a statement.
    An SQLite connection closed while a cursor still holds an unfinished statement stays
    open underneath, with its transaction and write lock, until that cursor is freed; the
    interrupt's traceback keeps the cursor alive, so cleanup that writes while the interrupt
    unwinds (the trial sent back to the queue, its peak memory) waited on its own lock for
    ever. Clearing the finished frames' locals frees the cursor, and the lock with it."""
    traceback.clear_frames(err.__traceback__)


# Every engine made here and still in use, for dispose_engines.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_engines() -> None:
    """Close the pooled connections of every engine still in use (an engine opens new ones
    if used again). The ``nntune`` command calls it at exit, where it leaves the last
    garbage collection out: an SQLite connection never closed leaves its ``-wal`` file
    beside the database, holding committed rows that a copy of the database file alone
    would not have."""
    for engine in list(_ENGINES):
        engine.dispose()


def make_engine(url: str, kwargs: dict[str, Any]) -> Engine:
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError("storage", f"cannot open {redact_url(url)}: {problem}")
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, kwargs)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        full = sa.engine.make_url(driver_url(url))
        if full.get_backend_name() == "postgresql" and "connect_timeout" not in full.query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT, **(kwargs.get("connect_args") or {})}
        engine = sa.create_engine(full, **kwargs)
    _ENGINES.add(engine)
    return engine


def home_expanded(url: str) -> str:
    """An ``sqlite:///~/...`` URL with ``~`` as the home folder. nntune's commands look for
    the file there (as a shell would put it), so SQLite opens that file, not one under a
    folder named ``~`` in the working folder; any other URL as it is."""
    parsed = sa.engine.make_url(url)
    database = parsed.database
    if parsed.query or not database or not database.startswith("~"):
        return url
    return parsed.set(database=os.path.expanduser(database)).render_as_string(hide_password=False)


def _sqlite_engine(url: str, kwargs: dict[str, Any]) -> Engine:
    in_memory = is_in_memory_sqlite(url)
    if in_memory:
        kwargs.setdefault("poolclass", sa.pool.StaticPool)
    # Merged with the caller's (Optuna's RDBStorage(engine_kwargs={"connect_args": {"timeout": 100}})):
    # replacing them would drop check_same_thread, and an in-memory database's one connection
    # would then refuse every thread but the first (a heartbeat's, n_jobs').
    kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS,
                              **(kwargs.get("connect_args") or {})}
    engine = sa.create_engine(home_expanded(url), **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        if not in_memory:
            if engine.get_execution_options().get(CHECKED, False):
                wal_where_writable(cur)
            cur.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode up to the last checkpoint
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False) and not in_memory
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def wal_where_writable(cursor: Any) -> None:
    """Switch the file to WAL mode through ``cursor``, unless it may only be read here: the
    switch is a write, and a file opened read-only (``mode=ro``, a file whose permissions
    refuse writing) that is not in WAL mode already is read as it is, in its own mode."""
    import sqlite3

    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as err:
        if not any(sign in str(err).lower() for sign in READ_ONLY_SIGNS):
            raise


def create_schema(engine: Engine, meta: sa.MetaData,
                  migrate: Callable[[Connection], None] | None = None,
                  check: Callable[[Connection], None] | None = None) -> None:
    """Create missing tables and bring older ones up to date with ``migrate``; on PostgreSQL
    one process at a time (creation is not atomic).

    ``check`` looks at the tables first and raises for a database that is not nntune's. On an
    SQLite file it runs in a read-only transaction before WAL mode is written into the file
    (the first change a foreign file would see), and again, as on PostgreSQL, inside the
    transaction that creates tables, so that nothing is created in a database that another
    program filled in the meantime."""
    if (engine.dialect.name == "sqlite" and not is_in_memory_sqlite(str(engine.url))
            and not engine.get_execution_options().get(CHECKED, False)):
        with engine.connect() as conn:
            if check is not None:
                with conn.execution_options(**{READ_ONLY: True}).begin():  # a deferred BEGIN takes no write lock
                    check(conn)
            # The connect hook left WAL out of this connection: drop it, so that the next one
            # sets WAL there, where a locked file is an error that is retried like any other.
            conn.invalidate()
        engine.update_execution_options(**{CHECKED: True})
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        if check is not None:
            check(conn)
        meta.create_all(conn)
        if migrate is not None:
            migrate(conn)


def server_skew(engine: Engine, clock: Callable[[], datetime]) -> timedelta:
    """How far the database server's clock is ahead of ``clock`` (UTC, read once, at the
    midpoint of the round trip). Heartbeats are compared across machines: a worker whose
    clock lags the others' by more than the grace period would look dead to them while it
    trains, and its trial would be run again. Optuna's RDB storage stamps them with the
    server's time for the same reason. A SQLite file's clock is this machine's: not asked."""
    before = clock()
    with engine.connect() as conn:
        server = conn.execute(sa.select(sa.func.current_timestamp())).scalar()
    after = clock()
    if not isinstance(server, datetime):
        return timedelta(0)
    if server.tzinfo is not None:
        server = server.astimezone(timezone.utc).replace(tzinfo=None)
    half = (after - before) / 2
    skew = server - (before + half)
    # The server stamped its time somewhere in the round trip: a skew no larger than half of
    # it cannot be told from none (a server on this machine read as some milliseconds behind,
    # and trials it stamped then looked changed before a moment this machine had already read).
    return timedelta(0) if abs(skew) <= half else skew
