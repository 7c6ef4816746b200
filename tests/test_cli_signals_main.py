"""``kill`` (SIGTERM) after ``nntune tune``'s search, during its look at the test split or its
report: as Ctrl-C, the README says. The command ends with exit code 130 and its one line,
leaves no half-written file, and the same command then finishes, the split opened once; it
used to die at once."""

from __future__ import annotations

import re
import signal
import sqlite3

import pytest

from conftest import ctrl_c_when, nntune_command


@pytest.mark.slow
def test_sigterm_after_the_search_ends_as_ctrl_c(tmp_path, call_cli, monkeypatch):
    db = tmp_path / "t.db"
    cmd = [*nntune_command(), "tune", "--storage", f"sqlite:///{db}", "--study", "t", "--set", "search.trials=1",
           "--set", "fixed.epochs=60", "--set", "space={}"]

    def searched() -> bool:  # the one trial is complete: the test look or the report is under way
        try:
            with sqlite3.connect(db) as con:
                return con.execute("select count(*) from trials where state = 'complete'").fetchone()[0] == 1
        except sqlite3.Error:
            return False

    code, _, err = ctrl_c_when(cmd, tmp_path, searched, "the search's end", timeout=300, sig=signal.SIGTERM)
    assert code == 130, err
    assert err.strip().splitlines()[-1].startswith("nntune: interrupted")
    assert not [p for p in tmp_path.rglob("*.tmp")]
    # The same command again, in this process (the executable's main, without a second start
    # of torch): the SIGTERM above is the real executable's.
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*cmd[len(nntune_command()):])
    assert code == 0, err
    # The look reads the trial's kept weights, so the signal may land before it or after it
    # (in the report): either way the split is opened once, by one of the two runs.
    assert re.search(r"the test split of study t has (now )?been evaluated once", out), out
