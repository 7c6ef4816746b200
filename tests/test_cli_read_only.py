"""Commands that read a study create no file."""

import pytest


@pytest.mark.parametrize("command", [["show"], ["show", "--json"], ["report"], ["report", "-o", "out.html"]])
def test_reading_a_missing_sqlite_file_is_one_line_and_creates_nothing(call_cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*command, "--study", "x", "--storage", "sqlite:///nntune.db")
    assert code == 2 and out == ""
    assert err.strip() == ("nntune: error: storage: no such SQLite file: nntune.db "
                           "(no study is stored there yet: run nntune tune first, or give --storage an existing storage's URL)")
    assert list(tmp_path.iterdir()) == []


def test_an_absolute_path_is_named_in_full(call_cli, tmp_path):
    code, _, err = call_cli("show", "--storage", f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 2 and str(tmp_path / "none.db") in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["show"], ["studies"], ["export", "--study", "x"], ["report", "-o", "out.html"]])
def test_a_folder_given_as_the_sqlite_file_is_named_a_folder(call_cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs.db").mkdir()
    code, out, err = call_cli(*command, "--storage", "sqlite:///runs.db")
    assert code == 2 and out == ""
    assert err.strip() == "nntune: error: storage: runs.db is a folder, not an SQLite file"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.db"] and not any((tmp_path / "runs.db").iterdir())
