"""``nntune tune | head -3``: the reader leaves after three lines, the tune does not. The
search, the test look, the model file and the report are finished and the exit status is
0; rich's console ended it with exit 1 at the leaderboard, before the report."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import nntune_command


@pytest.mark.slow
def test_tune_whose_reader_left_still_writes_its_report(tmp_path):
    read, write = os.pipe()
    os.close(read)  # gone before the first line: every line tune prints meets a broken pipe
    try:
        done = subprocess.run([*nntune_command(), "tune", "--storage", f"sqlite:///{tmp_path / 't.db'}",
                               "--study", "s", "--set", "task.data=iris", "--set", "search.trials=2",
                               "--set", "fixed.epochs=1"], cwd=tmp_path, stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=300)
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "reports" / "s.html").is_file() and (tmp_path / "models" / "s.pt").is_file()
