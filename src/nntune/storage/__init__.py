"""Storages: where studies live. ``get_storage`` turns a URL into one."""

from __future__ import annotations

from pathlib import Path

from nntune.exceptions import ConfigError
from nntune.storage._base import (
    DuplicatedStudyError,
    Storage,
    StudyNotFoundError,
    StudyRecord,
    StudySummary,
    ParamChange,
    TrialChanges,
    TrialStateError,
    TrialTakenOver,
)
from nntune.storage._engines import is_in_memory_sqlite, redact_url
from nntune.storage.memory import InMemoryStorage
from nntune.storage.sql import SQLStorage

__all__ = [
    "DuplicatedStudyError",
    "InMemoryStorage",
    "SQLStorage",
    "Storage",
    "StudyNotFoundError",
    "StudyRecord",
    "StudySummary",
    "ParamChange",
    "TrialChanges",
    "TrialStateError",
    "TrialTakenOver",
    "existing_storage",
    "get_storage",
    "redact_url",
]


def get_storage(url: str | Storage | None) -> Storage:
    """``None`` or ``"memory"``: in-process; ``sqlite:///file.db`` or ``postgresql://...``: SQL;
    ``journal:///path/file.log``: one append-only file (:mod:`nntune.storage.journal`)."""
    if url is None or url == "memory":
        return InMemoryStorage()
    if not isinstance(url, str):
        if not all(callable(getattr(url, m, None)) for m in ("create_study", "load_study", "claim_trial")):
            # a path object or an Optuna storage: refused here, not by a missing method later
            kind = type(url)
            raise ConfigError("storage", f"expected a URL or a storage of nntune.storages (RDBStorage, "
                                         f"JournalStorage, InMemoryStorage), got {kind.__module__}.{kind.__qualname__}")
        return url
    if "://" not in url:
        raise ConfigError("storage", f"expected a URL such as sqlite:///nntune.db, got {url!r}")
    if url.startswith("journal://"):  # journal:///abs/path.log or journal://relative/path.log
        from nntune.storage.journal import JournalStorage

        path = url[len("journal://"):]
        if not path:
            raise ConfigError("storage", "journal:// needs a file: journal:///path/to/study.log")
        return JournalStorage(path)
    return _open_sql(url)


def _open_sql(url: str, *, existing: bool = False) -> SQLStorage:
    try:
        return SQLStorage(url, existing=existing)
    except ConfigError:
        raise
    except Exception as err:  # a bad driver name, an unreachable server, ...
        raise ConfigError("storage", open_failure(url, err)) from err


def open_failure(url: str, err: BaseException) -> str:
    """Why a database URL could not be opened, in one line. SQLite's own words for a file
    whose folder does not exist, or for a folder given as the file ("unable to open database
    file"), do not say what is wrong: these name the folder."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    database = sqlite_file(url) if is_sqlite_url(url) else None
    if database and database != ":memory:":
        path = Path(database).expanduser().absolute()
        folder = path.parent
        if path.is_dir():
            return f"cannot open {redact_url(url)}: {path} is a folder, not a database file: {first}"
        blocker = file_on_the_way(folder)
        if blocker is not None:
            return f"cannot open {redact_url(url)}: {blocker} is a file, not a folder: {first}"
        if not folder.is_dir():
            return (f"cannot open {redact_url(url)}: the folder {folder} does not exist (SQLite makes a new "
                    f"database file, not its folders): {first}")
        if _starts_a_journal(path):  # SQLite says only "file is not a database"
            return f"{path} is an nntune journal, not an SQLite database; open it as journal://{path}"
    return f"cannot open {redact_url(url)}: {first}"


def _starts_a_journal(path: Path) -> bool:
    """Whether the file at ``path`` starts as every line of an nntune journal does."""
    from nntune.storage.journal import LINE_START

    try:
        with open(path, "rb") as handle:
            return handle.read(len(LINE_START)) == LINE_START
    except OSError:
        return False


def file_on_the_way(folder: Path) -> Path | None:
    """The nearest existing path at or above ``folder`` when it is not a folder (a file, a
    pipe), or None: what makes the OS answer "File exists" or "Not a directory" when
    ``folder`` is to be made or written in."""
    try:
        here = folder.absolute()
        while not here.exists() and here != here.parent:
            here = here.parent
        return None if here.is_dir() else here
    except OSError:  # a folder on the way this user may not enter: said by the caller's error
        return None


# Said after a missing file: most often nothing was tuned in this folder yet, or the
# storage is elsewhere; the user needs to know which step comes first.
NOTHING_STORED = "(no study is stored there yet: run nntune tune first, or give --storage an existing storage's URL)"


def existing_storage(url: str | Storage) -> Storage:
    """The storage at ``url`` for a command that reads a study: an SQLite file that does not
    exist, or is empty (0 bytes), and a database (a PostgreSQL one too) without nntune's
    tables, are a ConfigError, never a new empty storage."""
    if isinstance(url, str) and url.startswith("journal://") and not Path(url[len("journal://"):]).expanduser().exists():
        raise ConfigError("storage", f"no such journal file: {url[len('journal://'):]} {NOTHING_STORED}")
    if isinstance(url, str) and is_sqlite_url(url):
        database = sqlite_file(url)
        if database and database != ":memory:" and Path(database).expanduser().is_dir():
            raise ConfigError("storage", f"{database} is a folder, not an SQLite file")
        if database and database != ":memory:" and not Path(database).expanduser().is_file():
            raise ConfigError("storage", f"no such SQLite file: {database} {NOTHING_STORED}")
        if database and database != ":memory:" and Path(database).expanduser().stat().st_size == 0:
            # SQLite takes a 0-byte file for a new database, and opening it would create
            # nntune's tables: a reading command must leave it as it is.
            from nntune.storage._recognize import not_a_storage_yet

            raise ConfigError("storage", f"{redact_url(url)} {not_a_storage_yet(())}")
    if isinstance(url, str) and "://" in url and not url.startswith("journal://") and not is_in_memory_sqlite(url):
        return _open_sql(read_only_sqlite(url), existing=True)
    return get_storage(url)


def read_only_sqlite(url: str) -> str:
    """A plain ``sqlite:///`` URL whose file lies on a read-only file system (a read-only
    mount, a container's ``:ro`` volume) as SQLite's immutable URI; any other URL as it is.
    Reading a WAL database needs its ``-shm`` file beside it, which cannot be made there
    ("unable to open database file"); nothing can change a file there either, which is
    what ``immutable`` asks of it. A file with a ``-wal`` left beside it is opened as given:
    immutable would read it without the transactions the WAL still holds."""
    import os
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # malformed: get_storage says why
        return url
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or parsed.query or not database or database.startswith("file:"):
        return url
    path = Path(database).expanduser().absolute()
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        return url
    try:
        read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows), or no such folder: opened as given
        return url
    return f"sqlite:///file:{quote(str(path))}?immutable=1&uri=true" if read_only else url


def is_sqlite_url(url: str) -> bool:
    """Whether ``url`` names an SQLite database, with or without a driver (``sqlite+pysqlite:``)."""
    return url.split(":", 1)[0].split("+", 1)[0] == "sqlite"


def sqlite_file(url: str) -> str | None:
    """The file an ``sqlite:`` URL names, also in SQLite's URI form
    (``sqlite:///file:path.db?mode=ro&uri=true``); None for a malformed URL."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # malformed: get_storage says why
        return None
    database = parsed.database
    if database and str(parsed.query.get("uri", "")).lower() == "true" and database.startswith("file:"):
        return database[len("file:"):].split("?", 1)[0] or None
    return database
