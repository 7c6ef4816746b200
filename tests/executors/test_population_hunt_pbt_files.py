"""A PBT study's checkpoint folder stays bounded under every executor: the snapshots that a
replacement may still start from (the best ``population`` members at each ready step, and
the parents of replacements not yet finished) and the best trial's final weights, not a
file for every member and epoch; replacements still find their parents, and a killed run
resumes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import nntune
from nntune.config import parse_config
from nntune.runner import prepare, run_tune
from nntune.schedulers import PBT, exploit
from nntune.space import Float
from nntune.storage import SQLStorage
from nntune.trial import FrozenTrial, TrialState


def member(number: int, curve: dict[int, float], state: TrialState = TrialState.COMPLETE, **attrs: int) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(curve), params={"lr": 0.01},
                       distributions={"lr": Float(1e-4, 1.0, log=True)}, user_attrs=dict(attrs))


def test_the_copied_member_is_one_of_the_best_population_however_many_reported_the_step():
    values = {n: float(n) for n in range(40)}  # maximize: 39 is the best, 0 the worst
    # A quarter of 40 is 10: without the limit the worst copies the best and the tenth worst
    # the tenth best, so any of the ten best members' snapshots could be asked for.
    assert exploit(values, 9, 0.25, "maximize") == 30
    assert exploit(values, 9, 0.25, "maximize", top_limit=4) in {36, 37, 38, 39}
    assert {exploit(values, n, 0.25, "maximize", top_limit=4) for n in range(10)} == {36, 37, 38, 39}


def test_the_states_a_replacement_may_start_from_are_the_best_population_at_each_ready_step():
    pbt = PBT(population=2, ready_epochs=2, max_resource=6)
    history = [member(n, {s: n + s for s in range(1, 7)}) for n in range(5)]
    history.append(member(5, {5: 0.0}, TrialState.WAITING, pbt_parent=0, pbt_parent_step=4))  # queued
    history.append(member(6, {}, TrialState.RUNNING, pbt_parent=1, pbt_parent_step=2))
    needed = pbt.parents_needed(history, "maximize")
    # Steps 2 and 4 (6 is the last: nothing is copied there); 0 and 1 only as queued parents.
    assert needed == {(4, 2), (3, 2), (4, 4), (3, 4), (0, 4), (1, 2)}
    assert pbt.parents_needed(history, "minimize") >= {(0, 2), (1, 2), (0, 4), (1, 4)}


def pbt_config(tmp_path: Path, trials: int, **search):
    return parse_config({
        "study": "pbt", "storage": f"sqlite:///{tmp_path / 'pbt.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy", "train_size": 300},
        "search": {"sampler": "random", "scheduler": "pbt", "trials": trials, "seed": 1,
                   "checkpoint_dir": str(tmp_path / "runs"),
                   "scheduler_options": {"population": 2, "ready_epochs": 1, "quantile": 0.5, "refill": True},
                   **search},
        "space": {"lr": {"type": "float", "low": 1e-3, "high": 0.5, "log": True}},
        "fixed": {"epochs": 3, "batch_size": 64, "layers": 1, "units": 16}})


SNAPSHOT = re.compile(r"trial-(\d+)-epoch-(\d+)\.pt")


def files(folder: Path) -> tuple[list[tuple[int, int]], list[str]]:
    """The snapshots (trial, epoch) and the other model files in ``folder``."""
    names = sorted(p.name for p in folder.rglob("*.pt"))
    snaps = [(int(m.group(1)), int(m.group(2))) for m in map(SNAPSHOT.fullmatch, names) if m]
    return snaps, [n for n in names if not SNAPSHOT.fullmatch(n)]


@pytest.mark.parametrize("search", [
    pytest.param({}, id="serial", marks=pytest.mark.slow),
    pytest.param({"executor": "population", "population": 2}, id="population"),
])
def test_a_long_pbt_study_keeps_a_population_s_worth_of_files(tmp_path, search):
    p = prepare(pbt_config(tmp_path, 12, **search))
    summary = run_tune(p)
    study = nntune.load_study(study_name="pbt", storage=summary.storage)
    trials = study.trials
    assert len(trials) == 12 and not [t for t in trials if t.state == TrialState.FAILED]
    assert sum("pbt_parent" in t.user_attrs for t in trials) >= 2  # replacements found their parents
    snaps, others = files(tmp_path / "runs")
    # Epochs 1 and 2 are the ready steps (3 is the last): the best 2 members' states at each.
    assert len(snaps) <= 2 * 2 and {e for _, e in snaps} <= {1, 2}
    best = summary.best
    assert len(others) == 1 and Path(best.system_attrs["checkpoint"]).name == others[0]
    assert summary.test is not None and summary.test.trial == best.number
    # A member whose weights went is retrained if asked for; one of a lineage says it may differ.
    named = [t for t in trials if t.system_attrs.get("checkpoint") and t.number != best.number]
    assert all("pbt_parent" in t.user_attrs for t in named)


def nntune_command() -> list[str]:
    return [sys.executable, "-m", "nntune"]


@pytest.mark.slow
def test_kill_9_of_a_pbt_study_resumes_with_its_parents_snapshots(tmp_path, call_cli):
    raw = pbt_config(tmp_path, 40).model_dump(mode="json")  # long enough that a slow poll still finds the moment
    raw["fixed"]["epochs"] = 6
    raw["search"]["scheduler_options"]["ready_epochs"] = 2
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    url = raw["storage"]
    cmd = [*nntune_command(), "tune", "c.yaml", "--json"]
    store = SQLStorage(url)

    def trials():
        rec = store.load_study("pbt")
        return [] if rec is None else store.get_trials(rec.id)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        now = trials()
        # Killed while a replacement trains from its parent's snapshot, after some files went.
        if sum(t.state.is_finished() for t in now) >= 6 and any(
                t.state == TrialState.RUNNING and "pbt_parent" in t.user_attrs for t in now):
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # The same command again, in this process (the killed one was the real executable): a
    # second start of torch in a fresh interpreter would add nothing that is checked here.
    code, _, err = call_cli(*cmd[len(nntune_command()):])
    assert code == 0, err[-3000:]
    after = trials()
    assert len(after) == 40 and not [(t.number, t.error) for t in after if t.state == TrialState.FAILED]
    snaps, others = files(tmp_path / "runs")
    assert len(snaps) <= 2 * 2 and len(others) == 1
