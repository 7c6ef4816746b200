"""kill -9 the real ``nntune tune`` at seeded random moments, run it again: nothing lost.

Against a real SQLite file, a real PostgreSQL server and a journal file (where a kill may
also tear the line being written). The process is killed while it has
trials running; the same command then resumes the study to the requested number of trials.
No complete trial is lost, changed or duplicated, and no trial is left running: those that
were running at a kill are re-queued and run again (or failed with the reason after their
retries), never left running forever.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nntune.executors._common import process_start_time
from nntune.storage import SQLStorage, get_storage
from nntune.trial import TrialState

TINY = """\
study: crash
task: {data: digits, model: mlp, metric: accuracy}
search: {sampler: random, trials: %d, seed: 5}
space:
  lr: {type: float, low: 1.0e-3, high: 1.0e-1, log: true}
  units: {type: int, low: 8, high: 32, log: true}
fixed: {epochs: 2, batch_size: 128, layers: 1}
"""


def nntune_command() -> list[str]:
    script = Path(sys.executable).parent / "nntune"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nntune.cli"]


@pytest.fixture(params=["sqlite", "postgresql", "journal"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crash.db'}"
    if request.param == "journal":
        return f"journal://{tmp_path / 'crash.log'}"
    return request.getfixturevalue("postgresql_url")


def trials_of(store):
    rec = store.load_study("crash")
    return [] if rec is None else store.get_trials(rec.id)


def wait_until(condition, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def complete(trials):
    return {t.number: (t.params, t.value) for t in trials if t.state == TrialState.COMPLETE}


def run_by(trial, pid):
    """Whether process ``pid`` ran ``trial``, itself or as its workers' supervisor."""
    worker = trial.system_attrs.get("worker") or {}
    return worker.get("pid") == pid or (worker.get("supervisor") or {}).get("pid") == pid


def kill_while_running(cmd, tmp_path, store, rng, kills, *, mid_trial=False):
    """Start ``cmd``; once it holds a running trial it did not hold before (with
    ``mid_trial``, one that has reported an epoch: its worker is inside it), wait a seeded
    random moment and SIGKILL it. Returns the worker pids that were running trials."""
    before = {t.number for t in trials_of(store) if t.state == TrialState.RUNNING}
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    started = wait_until(lambda: proc.poll() is not None or any(
        t.state == TrialState.RUNNING and t.number not in before and (t.intermediate_values or not mid_trial)
        for t in trials_of(store)))
    time.sleep(rng.uniform(0.0, 0.25))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert started and proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr.read()[-3000:])
    # Read after the kill: a trial read as running just before it may have ended in between
    # (a tiny trial takes a tenth of a second); only one this kill left running is re-queued.
    running = [t for t in trials_of(store) if t.state == TrialState.RUNNING and run_by(t, proc.pid)]
    kills.append(len(running))
    return [t.system_attrs["worker"] for t in running if "worker" in t.system_attrs]


def check_resumed(cmd, tmp_path, store, total, seen, call_cli=None):
    """Run ``cmd`` again to the end: the real executable, or with ``call_cli`` the same
    command in this process (no second start of torch, where the exit code is all it shows)."""
    if call_cli is None:
        done = subprocess.run(cmd + ["--json"], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr[-3000:]
    else:
        code, _, err = call_cli(*cmd[len(nntune_command()):], "--json")
        assert code == 0, err[-3000:]
    trials = trials_of(store)
    assert [t.number for t in trials] == list(range(total))  # unique numbers, none missing
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.FAILED}
    for t in trials:
        if t.state == TrialState.FAILED:
            assert "died" in t.error  # its worker died at a kill, more often than it may retry
    final = complete(trials)
    for number, record in seen.items():  # nothing complete was lost or changed
        assert final[number] == record
    return trials


# Kills that must hit running trials, per storage. SQLite, the default, takes two; the others
# one, since each kill costs seconds of process start (4 s of imports alone) and what a kill
# can break in them (a row written by half, a journal line torn) shows from the first hit on.
HITS = {"sqlite": 2, "postgresql": 1, "journal": 1}


@pytest.mark.slow
def test_kill_9_while_trials_run_again_and_again_then_resume(url, tmp_path, call_cli):
    total = 60  # more than ten short runs can finish, however fast the machine
    hits = next(n for scheme, n in HITS.items() if url.startswith(scheme))
    (tmp_path / "tiny.yaml").write_text(TINY % total)
    cmd = [*nntune_command(), "tune", "tiny.yaml", "--storage", url]
    store = get_storage(url)
    rng = random.Random(20240607)
    seen: dict[int, tuple] = {}
    kills: list[int] = []
    # Each run pays seconds of process start before its first trial, so the runs stop once
    # enough kills have hit running trials (a kill between two trials hits none), at most ten.
    while sum(k > 0 for k in kills) < hits and len(kills) < 10:
        kill_while_running(cmd, tmp_path, store, rng, kills)
        now = complete(trials_of(store))
        for number, record in seen.items():
            assert now[number] == record  # a complete trial stays exactly as it was
        seen.update(now)
    assert sum(k > 0 for k in kills) >= hits, kills  # of at most ten kills
    # The same command resumes to a few trials past those begun, not to the 60 (which only
    # keep every run from finishing before its kill): the re-queued trials run all the same.
    # It runs in this process: the executable's own resume after kill -9 is the next test's.
    resume_to = len(trials_of(store)) + 3
    trials = check_resumed(cmd + ["--trials", str(resume_to)], tmp_path, store, resume_to, seen, call_cli)
    assert any(t.system_attrs.get("retries") for t in trials)  # interrupted trials ran again
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= resume_to - 3


@pytest.mark.slow
def test_kill_9_with_workers_leaves_no_orphans_and_resumes(tmp_path):
    total = 10
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    (tmp_path / "tiny.yaml").write_text(TINY % total)
    # Trials of 20 epochs (about half a second each): both workers are inside one at the kill.
    cmd = [*nntune_command(), "tune", "tiny.yaml", "--storage", url, "--workers", "2", "--set", "fixed.epochs=20"]
    store = SQLStorage(url)
    rng = random.Random(7)
    seen: dict[int, tuple] = {}
    kills: list[int] = []
    for _ in range(1):
        # Killed inside a trial: at a load of 8 a kill just after a claim once found the
        # workers between trials, and so no worker to check.
        workers = kill_while_running(cmd, tmp_path, store, rng, kills, mid_trial=True)
        # The workers die with the killed command (they never keep running unsupervised).
        assert workers and wait_until(lambda: all(process_start_time(w["pid"]) is None for w in workers), 20)
        seen.update(complete(trials_of(store)))
    trials = check_resumed(cmd, tmp_path, store, total, seen)
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= total - 2
