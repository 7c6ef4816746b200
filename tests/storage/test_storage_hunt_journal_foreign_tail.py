"""A journal URL that names another program's file is refused, and the file is left as it
was: bytes after the last newline were taken for a line torn by a killed writer and cut
off by the first change, so a text without its last newline, or an SQLite database whose
pages held no newline byte, was overwritten by the journal's first line."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("content", [b"notes kept by hand, without a last newline",
                                     b"line one\nline two without its newline"])
def test_a_text_file_is_not_cut_short(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=r"^storage: .*notes.txt: .* not a journal entry") as err:
        nntune.create_study(study_name="s", storage=f"journal://{path}")
    assert "\n" not in str(err.value)
    assert path.read_bytes() == content
    with pytest.raises(ConfigError, match="not a journal entry"):
        nntune.get_all_study_names(f"journal://{path}")  # not an empty journal either


def test_an_sqlite_database_is_named_as_one(tmp_path):
    path = tmp_path / "study.db"
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(11, 200)))  # a page without a newline byte
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=rf"study.db is an SQLite database, not a journal; open it as "
                                          rf"sqlite:///{path}"):
        nntune.create_study(study_name="s", storage=nntune.storages.JournalStorage(
            nntune.storages.journal.JournalFileBackend(str(path))))
    assert path.read_bytes() == before


def test_an_sqlite_database_nntune_made_is_refused_as_a_journal(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    nntune.create_study(study_name="kept", storage=url)
    with pytest.raises(ConfigError, match="is an SQLite database, not a journal"):
        nntune.load_study(study_name="kept", storage=f"journal://{tmp_path / 'study.db'}")
    assert nntune.get_all_study_names(url) == ["kept"]


@pytest.mark.parametrize("reader", [False, True])
def test_a_journal_opened_as_sqlite_is_named_as_one(tmp_path, reader):
    # SQLite's own words were "file is not a database", saying nothing of what it is instead.
    path = tmp_path / "study.log"
    nntune.create_study(study_name="kept", storage=f"journal://{path}")
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=rf"^storage: {path} is an nntune journal, not an SQLite database; "
                                          rf"open it as journal://{path}$"):
        if reader:
            nntune.get_all_study_names(f"sqlite:///{path}")
        else:
            nntune.create_study(study_name="s", storage=f"sqlite:///{path}")
    assert path.read_bytes() == before
