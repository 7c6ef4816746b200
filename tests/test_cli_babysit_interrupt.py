"""Ctrl-C during ``nntune babysit`` (SIGINT to the process group, as a terminal sends it):
exit code 130, as every command, the trial kept as stopped by the user with its
checkpoints, a last line that says so and how to continue it, and under ``--json`` no JSON
summary line, as ``tune`` prints none when interrupted."""

from __future__ import annotations

import sqlite3

import pytest

from nntune.cli_babysit import interrupted_line

pytestmark = pytest.mark.slow


def epochs_stored(db) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("select count(*) from trial_steps").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is still being made
        return 0


def test_ctrl_c_exits_130_saying_how_to_continue_the_kept_trial(tmp_path):
    from conftest import ctrl_c_when, nntune_command

    storage = f"sqlite:///{tmp_path / 'b.db'}"
    cmd = [*nntune_command(), "babysit", "--set", "epochs=2000", "--set", "layers=1", "--set", "units=16",
           "--set", "task.train_size=0.1", "--study", "b", "--storage", storage, "--json"]
    code, out, err = ctrl_c_when(cmd, tmp_path, lambda: epochs_stored(tmp_path / "b.db") >= 2, "an epoch stored")
    assert code == 130, err
    assert "Traceback" not in err
    # As tune's: no JSON summary a script could take for a finished run's; the human lines went to stderr.
    assert out == ""
    assert "trial 0 of study b: pruned (stopped by the user)" in " ".join(err.split())
    assert err.strip().splitlines()[-1] == (f"nntune: interrupted; trial 0 of study b is kept as pruned; continue it "
                                            f"with: nntune babysit --resume --study b --trial 0 --storage {storage}")


def test_a_trial_interrupted_before_its_first_checkpoint_is_not_offered_a_resume():
    assert interrupted_line(3, "b", "pruned", None) == ("nntune: interrupted; trial 3 of study b is kept as pruned, "
                                                        "with no checkpoint to continue: the same command trains a "
                                                        "new trial")

