"""``tune --dry-run`` refuses an existing SQLite file the run would refuse, Optuna's storage
or a file that is no database, in the run's own words; it said "config OK" for both. The
file is left byte for byte as it was, with nothing beside it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nntune.config_storage import check_storage_opens
from nntune.exceptions import ConfigError


def test_optunas_storage_is_refused_by_the_dry_run(call_cli, tmp_path, monkeypatch):
    pytest.importorskip("optuna")
    monkeypatch.chdir(tmp_path)
    # Made by Optuna in a process of its own: its log lines stay out of this command's stderr.
    subprocess.run([sys.executable, "-c", "import optuna; optuna.create_study(study_name='s', "
                    "storage='sqlite:///o.db')"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    before = (tmp_path / "o.db").read_bytes()
    code, out, err = call_cli("tune", "--dry-run", "--storage", "sqlite:///o.db")
    assert (code, out) == (2, "")
    assert err.startswith("nntune: error: storage: sqlite:///o.db is Optuna's storage "), err
    assert len(err.splitlines()) == 1
    assert (tmp_path / "o.db").read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["o.db"]


def test_a_file_that_is_no_database_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.db").write_text("not a database\n")
    with pytest.raises(ConfigError, match=r"^storage: cannot open sqlite:///notes.db: file is not a database$"):
        check_storage_opens("sqlite:///notes.db")
    assert (tmp_path / "notes.db").read_text() == "not a database\n"


def test_an_empty_file_or_nntunes_own_storage_passes(tmp_path, monkeypatch):
    import nntune

    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.db").touch()  # SQLite's empty database: the run makes it nntune's
    check_storage_opens("sqlite:///empty.db")
    nntune.create_study(study_name="s", storage="sqlite:///mine.db")
    check_storage_opens("sqlite:///mine.db")


def test_a_journal_that_is_no_nntune_journal_is_refused(tmp_path, monkeypatch):
    import nntune

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.log").write_text("hello\n")
    with pytest.raises(ConfigError, match=r"notes.log: the line at byte 0 is not a journal entry"):
        check_storage_opens("journal://notes.log")
    assert (tmp_path / "notes.log").read_text() == "hello\n"
    nntune.create_study(study_name="s", storage="journal://mine.log")
    before = (tmp_path / "mine.log").read_bytes()
    check_storage_opens("journal://mine.log")  # nntune's own journal passes, read only
    assert (tmp_path / "mine.log").read_bytes() == before
