"""A storage nntune may read but not write (an SQLite file opened read-only, a PostgreSQL
database whose transactions are read-only, a journal file that cannot be changed, a
database on a full disk): the reading commands work, a writing one stops with one line
naming the storage, and the stored study is left as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import RandomSampler
from nntune.storage._base import StorageFull
from nntune.trial import TrialState


def _filled(url: str) -> None:
    study = nntune.create_study("kept", url, sampler=RandomSampler(0), seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    engine = getattr(study.storage, "engine", None)
    if engine is not None:  # closed now: SQLite moves its write-ahead log into the file
        engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_only_sqlite(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "ro.db"
    _filled(f"sqlite:///{path}")
    return f"sqlite:///file:{path}?mode=ro&uri=true", path


def test_writing_to_a_read_only_sqlite_file_is_one_line_and_changes_nothing(tmp_path):
    url, path = _read_only_sqlite(tmp_path)
    before = _digest(path)
    study = nntune.load_study("kept", url)  # reading works
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    with pytest.raises(ConfigError) as caught:
        nntune.create_study("new", url)
    assert caught.value.field == "storage" and "\n" not in str(caught.value)
    assert "cannot be written" in str(caught.value) and "readonly" in str(caught.value)
    with pytest.raises(ConfigError):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert _digest(path) == before


def test_the_command_line_says_so_in_one_line_with_exit_code_2(tmp_path, call_cli):
    url, path = _read_only_sqlite(tmp_path)
    before = _digest(path)
    code, out, err = call_cli("create-study", "--storage", url, "--study-name", "new")
    assert code == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("nntune: error: storage: "), err
    code, out, err = call_cli("delete-study", "--storage", url, "--study", "kept", "--yes")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot be written" in err, err
    assert _digest(path) == before
    code, out, err = call_cli("studies", "--storage", url)
    assert code == 0 and "kept" in out


def test_a_read_only_postgresql_database_is_one_line(postgresql_url):
    _filled(postgresql_url)
    url = postgresql_url + "?options=-c%20default_transaction_read_only%3Don"
    study = nntune.load_study("kept", url)
    assert len(study.trials) == 2
    with pytest.raises(ConfigError) as caught:
        nntune.create_study("new", url)
    assert caught.value.field == "storage" and "read-only transaction" in str(caught.value)
    assert nntune.get_all_study_names(postgresql_url) == ["kept"]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file immutable (chattr +i) needs root")
def test_an_unchangeable_journal_can_still_be_read(tmp_path):
    path = tmp_path / "ro.log"
    _filled(f"journal://{path}")
    before = _digest(path)
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system cannot make a file immutable")
    try:
        study = nntune.load_study("kept", f"journal://{path}")
        assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
        with pytest.raises(ConfigError) as caught:
            study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
        assert caught.value.field == "storage" and "\n" not in str(caught.value)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert _digest(path) == before


def test_a_full_disk_under_sqlite_is_one_line_and_keeps_what_was_stored(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'full.db'}"
    _filled(url)
    study = nntune.load_study("kept", url)
    engine = study.storage.engine
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    # The file may not grow by a page: SQLite answers as on a disk with no room left.
    sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count={pages}"))
    engine.dispose()
    with pytest.raises(ConfigError) as caught:
        study.set_user_attr("big", "x" * 200_000)
    assert caught.value.field == "storage" and "\n" not in str(caught.value)
    assert "the disk it is on is full (database or disk is full)" in str(caught.value)
    assert isinstance(caught.value, StorageFull)  # a worker's trial is then no crash of its own
    assert "big" not in nntune.load_study("kept", url).user_attrs
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


def test_a_full_disk_under_postgresql_is_a_refusal_too():
    from sqlalchemy.exc import OperationalError

    from nntune.storage._engines import refusal

    class Full(Exception):
        sqlstate = "53100"  # disk_full

    err = OperationalError("INSERT ...", {}, Full('could not extend file "base/16384/16402": wrote only '
                                                  '4096 of 8192 bytes at block 10'))
    assert refusal(err).startswith("cannot be written: the disk it is on is full (could not extend file")


def test_a_read_only_sqlite_file_not_in_wal_mode_is_read_as_it_is(tmp_path, call_cli):
    import sqlite3
    from contextlib import closing

    url, path = _read_only_sqlite(tmp_path)
    with closing(sqlite3.connect(path)) as conn:  # as an older nntune, or another program, left it
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    before = _digest(path)
    study = nntune.load_study("kept", url)  # switching it to WAL is a write: it stays in its own mode
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    study.storage.engine.dispose()
    code, out, err = call_cli("studies", "--storage", url)
    assert code == 0 and "kept" in out, err
    assert _digest(path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["ro.db"]
