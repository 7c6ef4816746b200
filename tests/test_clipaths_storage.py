"""``nntune tune --dry-run`` refuses a storage whose new file the real run could not make,
naming what is in the way, with nothing left behind."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("storage, says", [
    ("sqlite:///afile/s.db", "storage: cannot create afile/s.db: afile is a file, not a folder"),
    ("journal://afile/sub/s.log", "storage: cannot write afile/sub/s.log: {tmp}/afile is a file, not a folder"),
    ("journal://{tmp}", "storage: {tmp} is a folder; a journal is a file"),
])
def test_dry_run_names_what_stops_a_new_storage_file(call_cli, tmp_path, monkeypatch, storage, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    code, out, err = call_cli("tune", "--storage", storage.format(tmp=tmp_path), "--set", "task.data=iris",
                              "--dry-run")
    assert (code, out, err.strip()) == (2, "", f"nntune: error: {says.format(tmp=tmp_path)}")
    assert [p.name for p in tmp_path.iterdir()] == ["afile"] and (tmp_path / "afile").read_text() == ""


def test_dry_run_passes_an_existing_journal_it_would_only_read(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.log").write_text("")
    code, _, err = call_cli("tune", "--storage", "journal://old.log", "--set", "task.data=iris", "--dry-run")
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["old.log"]
