"""Whether a config's storage URL would open, told without opening it.

``nntune tune --dry-run`` runs nothing and creates no file, yet it must refuse what the real
run would: an SQLite file in a folder that is not there or takes no new file, a journal
whose folder cannot be made, a database kind (``postgresq://``) or driver SQLAlchemy does
not know. Nothing is connected to and nothing is left behind.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nntune._files import check_writable_file, creation_problem
from nntune.exceptions import ConfigError


def check_storage_opens(url: str) -> None:
    """ConfigError naming ``storage`` for a URL the run would fail to open; a server that is
    down is not known until the run connects."""
    if url == "memory":
        return
    if url.startswith("journal://"):
        _check_journal(url[len("journal://"):])
        return
    from sqlalchemy.engine import make_url

    from nntune.storage import redact_url, sqlite_file
    from nntune.storage._engines import driver_url

    try:
        parsed = make_url(driver_url(url))  # postgresql:// as the run opens it: with the driver installed
        parsed.get_dialect().import_dbapi()  # "Can't load plugin: ...", "No module named 'MySQLdb'"
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError("storage", f"cannot open {redact_url(url)}: {first}") from None
    if parsed.get_backend_name() != "sqlite":
        return
    database = sqlite_file(url)
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return
    path = Path(database).expanduser()
    if path.is_dir():
        raise ConfigError("storage", f"{database} is a folder, not an SQLite file")
    if path.exists():
        _check_existing_sqlite(path, redact_url(url))
        return
    if path.parent.exists() and not path.parent.is_dir():
        raise ConfigError("storage", f"cannot create {database}: {path.parent} is a file, not a folder")
    if not path.parent.is_dir():
        # SQLite makes the file, never its folder: the run would stop at "unable to open database file"
        raise ConfigError("storage", f"cannot create {database}: no folder {path.parent}")
    problem = creation_problem(path.parent)  # a full, read-only or pseudo file system: permission bits pass it
    if problem:
        raise ConfigError("storage", f"cannot create {database}: {problem}")


def _check_existing_sqlite(path: Path, shown: str) -> None:
    """An SQLite file the run would refuse: one that is no database, or another program's
    (Optuna's, say). Read through a read-only connection, so nothing is written to it and
    no journal is left beside it; the rule is the run's own (``foreign_problem``)."""
    import sqlite3

    from nntune.storage._recognize import foreign_problem

    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            # The table names SQLAlchemy's inspector gives the run: SQLite's own left out.
            tables = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table' "
                                                     "and name not like 'sqlite~_%' escape '~'")]
            columns = [row[1] for row in conn.execute("pragma table_info(studies)")] if "studies" in tables else []
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:  # "file is not a database", a file it may not read
        raise ConfigError("storage", f"cannot open {shown}: {err}") from None
    problem = foreign_problem(tables, columns)
    if problem is not None:
        raise ConfigError("storage", f"{shown} {problem}")


def _check_journal(file: str) -> None:
    """A journal file the run would open: one that exists is only read (it may be read-only);
    a new one's folders are made, so the first of them that exists must take a new entry."""
    if not file:
        raise ConfigError("storage", "journal:// needs a file: journal:///path/to/study.log")
    path = Path(file).expanduser()
    if path.is_dir():
        raise ConfigError("storage", f"{path.absolute()} is a folder; a journal is a file")
    if not path.exists():
        check_writable_file(path, "storage")
        return
    # One that exists is replayed as the run would, reading only: a file that is no
    # journal (Optuna's, an SQLite database, lines written by something else) is refused.
    from nntune.storage.journal import JournalStorage

    JournalStorage(path).list_studies()


def check_not_storage_file(output: Path, url: str, field: str) -> None:
    """ConfigError naming ``field`` when ``output`` is the file of the storage at ``url``
    (or SQLite's journal beside it): the report or model written there would destroy the
    studies. Told before the search, whether or not the storage exists yet."""
    if url.startswith("journal://"):
        kept: str | None = url[len("journal://"):]
        sidecars: tuple[str, ...] = ("",)
    else:
        from nntune.storage import is_sqlite_url, sqlite_file

        kept = sqlite_file(url) if is_sqlite_url(url) else None
        sidecars = ("", "-wal", "-shm", "-journal")
    if not kept or kept == ":memory:" or kept.startswith("file::memory:"):
        return
    base = Path(kept).expanduser().resolve()
    target = output.expanduser().resolve()
    for suffix in sidecars:
        if target == base.with_name(base.name + suffix):
            raise ConfigError(field, f"{output} is the storage's own file ({url}); writing there would destroy "
                                     "its studies")


def check_tune_outputs(report: Path, model: Path, url: str, inputs: Sequence[tuple[Path, str]] = ()) -> None:
    """``nntune tune``'s --report and --model-file: neither the storage's file, nor a file the
    run reads (``inputs``: each with what it is, the config, the data), nor one file for both
    (the model written first, then the report over it)."""
    for path, field in ((report, "--report"), (model, "--model-file")):
        check_not_storage_file(path, url, field)
        check_not_input(path, field, inputs)
    if report.expanduser().resolve() == model.expanduser().resolve():
        raise ConfigError("--model-file", f"{model} is the --report file too; give each its own")


def check_not_input(output: Path, field: str, inputs: Sequence[tuple[Path, str]]) -> None:
    """ConfigError naming ``field`` when ``output`` is one of the files the command reads
    (``inputs``, each with what it is): written once the work is done, the output would
    leave no copy of the config or the data it came from."""
    for read, what in inputs:
        if _same_file(output, read):
            raise ConfigError(field, f"{output} is the {what} this command reads; writing there would destroy it")


def run_inputs(config: str | Path | None, data: Any) -> list[tuple[Path, str]]:
    """The files ``nntune tune`` reads, each with what it is: the config file (none for the
    embedded default) and the data's own file or folder (``task.data.path``, relative to
    where nntune runs, as the data is read)."""
    inputs = [(Path(config), "config")] if config else []
    path = data.get("path") if isinstance(data, Mapping) else None
    if path is not None and str(path).strip():
        inputs.append((Path(str(path)), "data (task.data.path)"))
    return inputs


def _same_file(a: Path, b: Path) -> bool:
    """One file under two names: the same path once resolved, or (both there) the same file
    on disk, as a hard link or another spelling on a case-insensitive disk is."""
    a, b = a.expanduser(), b.expanduser()
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
