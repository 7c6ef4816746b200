"""Common mistakes of a new user: each is one line on stderr naming the field, exit code 2,
nothing on stdout and nothing written."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url, problem", [
    ("sqlite:////nonexistent-folder/x.db", "unable to open database file"),
    ("postgresql://tuner:secret@127.0.0.1:1/nntune", "Connection refused"),
])
def test_a_storage_that_cannot_be_reached_is_one_line_alone(call_cli, tmp_path, monkeypatch, url, problem):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--storage", url, "--trials", "1")
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("nntune: error: storage: cannot open ") and problem in line
    assert "secret" not in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("top", ["0", "-2"])
def test_show_top_below_one_is_refused(call_cli, tmp_path, top):
    code, out, err = call_cli("show", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "--top", top)
    assert code == 2 and out == ""
    assert err == f"nntune: error: --top: must be at least 1, got {top}\n"
