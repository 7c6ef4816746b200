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
