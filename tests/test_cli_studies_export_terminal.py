"""``nntune export --format parquet`` without ``-o`` on a terminal is refused in one line:
it wrote Parquet's bytes onto the screen. Into a pipe or a file they still go to stdout."""

from __future__ import annotations

import io
import os
import pty
import subprocess

import pandas as pd

import nntune
from conftest import nntune_command


def _study(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    study = nntune.create_study(study_name="e", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    return url


def _on_a_terminal(args: list[str], cwd) -> tuple[int, str]:
    """Run the real command with its stdout and stderr on a pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([*nntune_command(), *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=follower,
                              stderr=follower, timeout=120)
        os.close(follower)
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end closed: all was read
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(leader)
    return done.returncode, said.decode("utf-8", "replace")


def test_parquet_is_not_written_onto_a_terminal(tmp_path):
    url = _study(tmp_path)
    code, said = _on_a_terminal(["export", "--study", "e", "--storage", url, "--format", "parquet"], tmp_path)
    assert code == 2 and "PAR1" not in said
    assert said.strip() == ("nntune: error: --output: Parquet is binary and stdout is a terminal; give -o "
                            "FILE.parquet, or send stdout to a file or a pipe")


def test_into_a_pipe_parquet_still_goes_to_stdout(tmp_path):
    url = _study(tmp_path)
    done = subprocess.run([*nntune_command(), "export", "--study", "e", "--storage", url, "--format", "parquet"],
                          cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(pd.read_parquet(io.BytesIO(done.stdout))["number"]) == [0, 1]
