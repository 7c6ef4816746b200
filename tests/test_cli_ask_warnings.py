"""nntune's warnings during ``nntune ask`` are one ``nntune: warning:`` line, also those whose
stack level (meant for a library user's line) reaches typer, which calls the command."""

from __future__ import annotations

import json
import subprocess

import nntune
from conftest import nntune_command


def test_an_enqueued_value_off_the_space_warns_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    nntune.create_study(study_name="q", storage=url).enqueue_trial({"x": 5.0})
    done = subprocess.run([*nntune_command(), "ask", "--storage", url, "--study-name", "q", "--search-space",
                           json.dumps({"x": {"type": "float", "low": 0, "high": 1}})],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"number": 0, "params": {"x": 5.0}}
    assert done.stderr == "nntune: warning: x: the enqueued value 5.0 is outside [0, 1]\n"
