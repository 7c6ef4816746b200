import time

from _checkout import left_behind, snapshot


def test_new_files_and_changed_untracked_ones_are_left_behind(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "code.py").write_text("a")
    (tmp_path / "old.html").write_text("a")
    (tmp_path / ".venv").mkdir()
    before = snapshot(tmp_path)
    time.sleep(0.01)
    (tmp_path / "src" / "code.py").write_text("edited by hand")   # tracked: the developer's
    (tmp_path / "old.html").write_text("overwritten")              # untracked and changed
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "new.html").write_text("x")            # new
    (tmp_path / ".venv" / "cache").write_text("x")                 # skipped folder
    after = snapshot(tmp_path)
    assert left_behind(before, after, frozenset({"src/code.py"})) == ["old.html", "reports/new.html"]
    assert left_behind(after, after, frozenset()) == []


def test_tests_run_in_their_own_temporary_folder(tmp_path):
    from pathlib import Path

    assert Path.cwd() == tmp_path
