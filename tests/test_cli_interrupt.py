"""Ctrl-C during ``nntune tune`` (SIGINT to the whole process group, as a terminal sends it):
exit code 130 with one line, storage left consistent (finished trials kept, the interrupted
one queued again), and the same command run again continues to the total."""

from __future__ import annotations

import json
import sqlite3

import pytest
import yaml

from nntune.config import DEFAULT_YAML

pytestmark = pytest.mark.slow


def states(db) -> list[tuple[int, str, int]]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("select t.number, t.state, (select count(*) from trial_steps s where s.trial_id = t.id) "
                                "from trials t order by t.number").fetchall()
    except sqlite3.OperationalError:  # the schema is still being made
        return []


def interrupted_reasons(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select system_attrs from trials where state = 'waiting'").fetchall()
    return [json.loads(attrs)["interrupted"] for (attrs,) in rows]


@pytest.mark.parametrize("executor", [[], ["--workers", "2"]], ids=["serial", "two-workers"])
def test_ctrl_c_then_the_same_command_continues(tmp_path, executor, call_cli, monkeypatch):
    from conftest import ctrl_c_when, nntune_command

    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 'c.db'}"
    raw["search"]["trials"] = 2
    raw["task"]["train_size"] = 0.1
    raw["fixed"]["epochs"] = 40
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(raw, sort_keys=False))
    cmd = [*nntune_command(), "tune", str(cfg), "--json", *executor]
    code, out, err = ctrl_c_when(
        cmd, tmp_path, lambda: any(n_steps >= 1 for _, state, n_steps in states(tmp_path / "c.db")
                                   if state == "running"), "a trial training")
    assert code == 130, err
    assert err.strip().splitlines()[-1].startswith("nntune: interrupted;") and "Traceback" not in err
    assert "nntune-worker" not in err  # a worker says nothing of its own
    assert out == ""  # no JSON summary for a run that did not finish
    left = states(tmp_path / "c.db")
    if executor:  # both trials ran at once: each finished or queued again
        assert "the interrupted ones are queued again" in err.strip().splitlines()[-1]
        assert set(s for _, s, _ in left) <= {"complete", "waiting"} and "waiting" in [s for _, s, _ in left]
        assert all(n_steps == 0 for _, s, n_steps in left if s == "waiting")
        # Queued again as interrupted, not as a crashed worker's trial (those count retries).
        assert all("Ctrl-C" in why for why in interrupted_reasons(tmp_path / "c.db"))
    else:
        assert [s for _, s, _ in left] in (["waiting"], ["complete", "waiting"])
        assert left[-1][2] == 0  # the interrupted trial's epochs were dropped with it

    # The same command again, in this process (the executable's main, without a second start
    # of torch; its workers forked from this process's warm fork server): the Ctrl-C above is
    # the real executable's.
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*cmd[len(nntune_command()):])
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"] == {"complete": 2, "pruned": 0, "failed": 0, "diverged": 0}
    assert [s for _, s, _ in states(tmp_path / "c.db")] == ["complete", "complete"]
