"""``nntune --version`` prints the version on one line and exits 0, as ``optuna --version``
does; a user checking which nntune a script runs gets no "No such option"."""

from __future__ import annotations

import nntune


def test_version_prints_name_and_version(call_cli):
    code, out, err = call_cli("--version")
    assert (code, out, err) == (0, f"nntune {nntune.__version__}\n", "")


def test_version_wins_over_a_command_after_it(run_cli, tmp_path):
    done = run_cli("--version", "tune", "--trials", "1")  # nothing runs: no study, no file
    assert (done.returncode, done.stdout.strip()) == (0, f"nntune {nntune.__version__}"), done.stderr
    assert not list(tmp_path.iterdir())
