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
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

READ_ONLY = "nntune_read_only"  # execution option: this transaction only reads
# Engine execution option: create_schema found nntune's database (or a new one) behind this
# engine, so its SQLite connections may switch the file to WAL mode.
CHECKED = "nntune_checked"
_SCHEMA_LOCK = 7_352_901  # pg_advisory_xact_lock key while creating tables

TRANSIENT = ("locked", "busy", "deadlock", "could not serialize", "connection", "server closed",
             "terminating connection", "too many clients", "timeout", "timed out")


def is_in_memory_sqlite(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:")


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
    """The URL with any password replaced by ***, safe to print."""
    try:
        parsed = sa.engine.make_url(url)
        return parsed.render_as_string(hide_password=True) if parsed.password else url
    except Exception:
        return url


def is_transient(err: DBAPIError) -> bool:
    """A lock, a serialization conflict or a dropped connection: retrying may succeed."""
    if getattr(err, "connection_invalidated", False):
        return True
    text = str(getattr(err, "orig", err)).lower()
    return any(s in text for s in TRANSIENT)


# What SQLite (a file nntune may not write) and PostgreSQL (a read-only transaction: a
# standby, default_transaction_read_only) say when a write is refused for good.
READ_ONLY_SIGNS = ("readonly database", "read-only transaction", "read-only file system")


def read_only_problem(err: DBAPIError) -> str | None:
    """The database's own line when ``err`` says the database cannot be written at all (no
    retry helps), else None."""
    text = str(getattr(err, "orig", err)).strip()
    if not any(sign in text.lower() for sign in READ_ONLY_SIGNS):
        return None
    return text.splitlines()[0] if text else None


def make_engine(url: str, kwargs: dict[str, Any]) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(driver_url(url), **kwargs)


def _sqlite_engine(url: str, kwargs: dict[str, Any]) -> Engine:
    in_memory = is_in_memory_sqlite(url)
    if in_memory:
        kwargs.setdefault("poolclass", sa.pool.StaticPool)
    kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            if engine.get_execution_options().get(CHECKED, False):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode up to the last checkpoint
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False) and not in_memory
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


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
