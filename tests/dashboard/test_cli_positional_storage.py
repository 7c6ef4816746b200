"""``nntune dashboard sqlite:///db.sqlite3``, as optuna-dashboard is started: the storage
given without --storage is taken (it was refused as an unexpected extra argument), and one
given both ways with two values is refused in one line."""

from __future__ import annotations

import pytest

from tests.dashboard.test_cli import db, free_port, start_dashboard, wait_up  # noqa: F401 (db: the fixture)


def test_a_storage_given_as_optuna_dashboard_takes_it_is_the_storage(call_cli, tmp_path):
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    code, _, err = call_cli("dashboard", missing, "--no-browser")
    assert code == 2 and err.startswith("nntune: error: storage: no such SQLite file") and "none.db" in err, err
    code, _, err = call_cli("dashboard", missing, "--storage", f"sqlite:///{tmp_path / 'other.db'}", "--no-browser")
    assert code == 2 and err.strip() == f"nntune: error: storage: given twice: {missing} and --storage " \
                                       f"sqlite:///{tmp_path / 'other.db'}", err


@pytest.mark.slow
def test_the_dashboard_serves_the_storage_given_without_the_option(db):
    port = free_port()
    proc, line = start_dashboard(db, "--port", str(port))
    try:
        assert f"over {db} " in line
        assert [s["name"] for s in wait_up(f"http://127.0.0.1:{port}/api/studies")["studies"]] == ["s1", "s2"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_file_given_by_its_path_alone_is_read_as_the_database_or_journal_it_is(tmp_path, db):
    from nntune.cli_ask_inputs import file_storage_url

    sqlite_path = db.removeprefix("sqlite:///")
    journal = tmp_path / "nntune.log"
    journal.write_text("")
    assert file_storage_url(sqlite_path) == db  # an SQLite database by its header
    assert file_storage_url(str(journal)) == f"journal://{journal}"  # any other file is a journal
    assert file_storage_url(str(tmp_path / "none.log")) == str(tmp_path / "none.log")  # no file: judged as a URL
    assert file_storage_url(str(tmp_path)) == str(tmp_path)  # a folder is no file
    assert file_storage_url(db) == db


def test_a_path_that_is_no_file_is_refused_in_one_line(call_cli, tmp_path):
    code, _, err = call_cli("dashboard", str(tmp_path / "none.log"), "--no-browser")
    assert code == 2 and err.strip() == (f"nntune: error: storage: no such file: {tmp_path / 'none.log'} (a path alone "
                                         "opens an SQLite database or a journal; or give a URL such as "
                                         "sqlite:///nntune.db)"), err
    code, _, err = call_cli("dashboard", "--storage", "sqlite:///x.db", "--storage-class", "JournalFileBackend",
                            "--no-browser")
    assert code == 2 and err.startswith("nntune: error: --storage-class: JournalFileBackend takes a journal "
                                        "file's path"), err


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sqlite path", "journal path", "journal by class"])
def test_the_dashboard_serves_a_file_given_by_its_path_as_optuna_dashboard_does(tmp_path, db, how):
    import nntune

    if how == "sqlite path":
        args, served, names = [db.removeprefix("sqlite:///")], db, ["s1", "s2"]
    else:
        journal = tmp_path / "study.log"
        nntune.create_study("j", f"journal://{journal}").optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        args = [str(journal)] if how == "journal path" else ["--storage", str(journal), "--storage-class",
                                                             "JournalFileBackend"]
        served, names = f"journal://{journal}", ["j"]
    port = free_port()
    proc, line = start_dashboard(*args, "--port", str(port))
    try:
        assert f"over {served} " in line, line
        assert [s["name"] for s in wait_up(f"http://127.0.0.1:{port}/api/studies")["studies"]] == names
    finally:
        proc.terminate()
        proc.wait(timeout=10)
