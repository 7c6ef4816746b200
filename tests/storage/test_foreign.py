"""A database that is not nntune's (Optuna's, or another program's tables) is refused by every
command and function that opens a storage, with one line naming it, and left byte-identical;
a new, empty or older nntune database is still opened as before."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import nntune
from nntune.exceptions import ConfigError
from nntune.storage import SQLStorage, get_storage
from nntune.storage._engines import driver_url
from nntune.storage._recognize import ELSEWHERE, foreign_problem
from _postgres import run_sql

OPTUNA = "is Optuna's storage (optuna storage upgrade upgrades it), not an nntune storage"
OTHER = "holds other tables (notes, people), not an nntune storage"


def optuna_sqlite(path: Path) -> str:
    """A study written by Optuna itself, which keeps SQLite's default rollback journal."""
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="s1", storage=f"sqlite:///{path}")
    return OPTUNA


def other_sqlite(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    return OTHER


def look(path: Path) -> tuple[str, list[str], str]:
    """The file's hash, the folder's names (no journal nor WAL file left behind) and the
    journal mode, read without writing."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    return digest, sorted(p.name for p in path.parent.iterdir()), mode


def _cli(call_cli, *args: str) -> Callable[[str], str]:
    def run(url: str) -> str:
        code, out, err = call_cli(*args, "--storage", url)
        assert code == 2 and out == "" and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("nntune: error: storage: "), err
        return err
    return run


def _python(fn: Callable[[str], object]) -> Callable[[str], str]:
    def run(url: str) -> str:
        with pytest.raises(ConfigError) as caught:
            fn(url)
        assert caught.value.field == "storage" and "\n" not in str(caught.value)
        return str(caught.value)
    return run


OPENERS = {
    "cli study-names": lambda call_cli: _cli(call_cli, "study-names"),
    "cli studies": lambda call_cli: _cli(call_cli, "studies"),
    "cli trials": lambda call_cli: _cli(call_cli, "trials", "--study", "s1"),
    "cli show": lambda call_cli: _cli(call_cli, "show", "--study", "s1"),
    "cli create-study": lambda call_cli: _cli(call_cli, "create-study", "--study", "mine"),
    "cli storage upgrade": lambda call_cli: _cli(call_cli, "storage", "upgrade"),
    "load_study": lambda _: _python(lambda url: nntune.load_study(study_name="s1", storage=url)),
    "create_study": lambda _: _python(lambda url: nntune.create_study(study_name="mine", storage=url)),
    "get_storage": lambda _: _python(get_storage),
}


@pytest.mark.parametrize("make", [optuna_sqlite, other_sqlite])
@pytest.mark.parametrize("opener", sorted(OPENERS))
def test_a_foreign_sqlite_file_is_refused_byte_identical(call_cli, tmp_path, make, opener):
    path = tmp_path / "theirs.db"
    problem = make(path)
    before = look(path)
    assert before[2] == "delete"
    url = f"sqlite:///{path}"
    line = OPENERS[opener](call_cli)(url)
    assert f"storage: {url} {problem}; {ELSEWHERE}" in line, line
    assert look(path) == before


def test_a_foreign_studies_table_is_named_as_the_surprise(tmp_path):
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE studies (key TEXT, title TEXT)")
    conn.commit()
    conn.close()
    before = look(path)
    with pytest.raises(ConfigError, match=r"holds other tables \(studies\): its studies table is not nntune's"):
        SQLStorage(f"sqlite:///{path}")
    assert look(path) == before


def test_a_new_or_empty_file_still_becomes_an_nntune_storage_in_wal_mode(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")
    for name in ("new.db", "empty.db"):
        store = SQLStorage(f"sqlite:///{tmp_path / name}")
        try:
            store.create_study("s", "minimize")
            with store.engine.connect() as conn:  # a second pooled connection sets WAL itself
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        finally:
            store.engine.dispose()
        assert look(tmp_path / name)[2] == "wal"
        assert [r.name for r in SQLStorage(f"sqlite:///{tmp_path / name}").list_studies()] == ["s"]


def test_nntune_tables_beside_another_programs_are_still_nntunes(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    SQLStorage(url).create_study("s", "minimize")
    conn = sqlite3.connect(tmp_path / "shared.db")
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    assert [r.name for r in SQLStorage(url).list_studies()] == ["s"]


def test_the_rule():
    assert foreign_problem([], []) is None  # new: nntune creates its tables
    assert foreign_problem(["studies", "trials"], ["id", "name", "direction", "attrs", "created_at"]) is None
    assert foreign_problem(["studies"], ["id", "name", "direction", "attrs"]) is None  # older: migrated
    assert OPTUNA in (foreign_problem(["studies", "version_info", "alembic_version"], ["study_id"]) or "")
    assert "its studies table is not nntune's" in (foreign_problem(["studies"], ["study_id"]) or "")
    assert "holds other tables (a, b, c, d, e)" in (foreign_problem(list("fedcba"), []) or "")


# ---------------------------------------------------------------- PostgreSQL


def tables_and_rows(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(driver_url(url))
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {t: sorted(tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{t}"'))) for t in names}
    finally:
        engine.dispose()


def other_postgres(url: str) -> str:
    run_sql(url, "CREATE TABLE notes (text TEXT)", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO notes VALUES ('keep me')")
    return OTHER


def optuna_postgres(url: str) -> str:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(driver_url(url))
    optuna.create_study(study_name="s1", storage=storage)
    storage.engine.dispose()
    return OPTUNA


def colliding_postgres(url: str) -> str:
    run_sql(url, "CREATE TABLE trials (patient TEXT)")  # another program's trials
    return "holds other tables (trials)"


@pytest.mark.parametrize("make", [optuna_postgres, colliding_postgres])
@pytest.mark.parametrize("opener", ["cli study-names", "cli storage upgrade", "load_study", "create_study"])
def test_a_foreign_postgresql_database_is_refused_without_new_tables(call_cli, postgresql_url, make, opener):
    problem = make(postgresql_url)
    before = tables_and_rows(postgresql_url)
    line = OPENERS[opener](call_cli)(postgresql_url)
    assert f"storage: {postgresql_url} {problem}" in line and ELSEWHERE in line, line
    assert tables_and_rows(postgresql_url) == before


def test_a_shared_postgresql_database_takes_nntunes_tables_beside_the_others(postgresql_url):
    other_postgres(postgresql_url)
    study = nntune.create_study(study_name="beside", storage=postgresql_url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    tables = tables_and_rows(postgresql_url)
    assert tables["notes"] == [("keep me",)] and tables["people"] == []
    assert {"studies", "trials"} <= set(tables)
    assert len(nntune.load_study(study_name="beside", storage=postgresql_url).trials) == 2


def test_a_shared_database_is_nntunes_unless_one_of_its_table_names_is_taken():
    assert foreign_problem(["notes", "people"], [], shared=True) is None
    assert "holds other tables (notes, people)" in (foreign_problem(["notes", "people"], []) or "")  # an SQLite file
    assert "holds other tables (notes, trials)" in (foreign_problem(["notes", "trials"], [], shared=True) or "")
    assert "Optuna's storage" in (foreign_problem(["alembic_version", "studies"], ["study_id"], shared=True) or "")


@pytest.mark.parametrize("opener", ["cli study-names", "cli studies", "cli trials", "cli show", "cli storage upgrade"])
def test_a_reading_command_refuses_an_empty_sqlite_file_and_leaves_it_empty(call_cli, tmp_path, opener):
    path = tmp_path / "e.db"
    path.write_bytes(b"")
    url = f"sqlite:///{path}"
    line = OPENERS[opener](call_cli)(url)
    assert f"storage: {url} is an empty database, not an nntune storage; nntune create-study makes one" in line, line
    assert path.stat().st_size == 0 and [p.name for p in tmp_path.iterdir()] == ["e.db"]


@pytest.mark.parametrize("opener", ["cli study-names", "cli studies", "cli trials", "cli show"])
@pytest.mark.parametrize("others", [False, True])
def test_a_reading_command_refuses_a_postgresql_database_without_nntunes_tables(call_cli, postgresql_url,
                                                                                opener, others):
    """As an empty SQLite file: a command that reads studies (given the wrong database, the
    server's ``postgres`` one, say) creates no tables there; a search or create-study does."""
    if others:
        other_postgres(postgresql_url)
    before = tables_and_rows(postgresql_url)
    line = OPENERS[opener](call_cli)(postgresql_url)
    what = "holds other tables (notes, people)" if others else "is an empty database"
    assert f"storage: {postgresql_url} {what}, not an nntune storage; nntune create-study makes one" in line, line
    assert tables_and_rows(postgresql_url) == before
