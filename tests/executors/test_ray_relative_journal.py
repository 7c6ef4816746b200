"""A relative journal path reaches workers and Ray actors as the driver's file: an actor of
a head started in another folder otherwise writes a journal of its own there."""

from pathlib import Path

from nntune.runner import absolute_sqlite


def test_a_relative_journal_url_is_made_absolute_for_workers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert absolute_sqlite("journal://r.log") == f"journal://{tmp_path / 'r.log'}"
    assert absolute_sqlite("journal://sub/r.log") == f"journal://{tmp_path / 'sub' / 'r.log'}"
    assert absolute_sqlite("journal:///abs/r.log") == "journal:///abs/r.log"
    assert absolute_sqlite("journal://~/r.log") == f"journal://{Path.home() / 'r.log'}"
