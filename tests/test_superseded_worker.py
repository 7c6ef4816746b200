"""Two processes share a SQLite study with heartbeats; the first is suspended (SIGSTOP) in the
middle of a trial past the grace period, the second recovers that trial and runs it, then the
first resumes (SIGCONT). The trial must hold the second process's parameters and value only:
the first one's late writes are refused, it logs one line and goes on with another trial."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nntune
from nntune.samplers import RandomSampler
from nntune.storages import RDBStorage, RetryFailedTrialCallback
from nntune.trial import TrialState

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP")

# The first process. Its heartbeat interval is long, so that it is never suspended inside a
# heartbeat's transaction (holding the SQLite write lock): its trial goes silent at once.
FIRST = """
import os, sys, time
from pathlib import Path
import nntune
from nntune.samplers import RandomSampler
from nntune.storages import RDBStorage, RetryFailedTrialCallback

url, marks = sys.argv[1], Path(sys.argv[2])
storage = RDBStorage(url, heartbeat_interval=60, grace_period=2,
                     failed_trial_callback=RetryFailedTrialCallback(max_retry=2))
study = nntune.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=1), load_if_exists=True)

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 0:
        (marks / "first-x").write_text(repr(x))
        (marks / "first-started").touch()
        while not (marks / "go-first").exists():
            time.sleep(0.02)
    trial.set_user_attr("pid", os.getpid())
    trial.report((x - 0.5) ** 2, 0)
    return (x - 0.5) ** 2

study.optimize(objective, n_trials=1)
(marks / "first-done").touch()
"""


def _wait_for(path: Path, seconds: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate(timeout=5) if proc.poll() is not None else ("", "")
            raise AssertionError(f"{path.name} never appeared (first process: {proc.returncode}, {err})")
        time.sleep(0.02)


@pytest.mark.slow
def test_a_suspended_worker_cannot_finish_the_trial_another_worker_took_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    marks = tmp_path / "marks"
    marks.mkdir()
    first = subprocess.Popen([sys.executable, "-c", FIRST, url, str(marks)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marks / "first-started", 60, first)
        os.kill(first.pid, signal.SIGSTOP)  # suspended mid-trial: no heartbeat, no write
        time.sleep(2.5)  # past the grace period

        storage = RDBStorage(url, heartbeat_interval=0.5, grace_period=2,
                             failed_trial_callback=RetryFailedTrialCallback(max_retry=2))
        second = nntune.load_study(study_name="s", storage=storage, sampler=RandomSampler(seed=2))

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            assert trial.number == 0  # the first process's trial, recovered and claimed here
            trial.set_user_attr("pid", os.getpid())
            trial.report((x - 0.5) ** 2, 0)
            # The first process resumes while this one still runs the trial, and ends its own run.
            (marks / "go-first").touch()
            os.kill(first.pid, signal.SIGCONT)
            _wait_for(marks / "first-done", 60, first)
            return (x - 0.5) ** 2

        second.optimize(objective, n_trials=1)
        _, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGCONT)
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert "Traceback" not in err
    assert "trial 0 was taken from this worker" in err and err.count("taken from this worker") == 1

    trials = storage.get_trials(second.id)
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE]
    taken, own = trials
    first_x = float((marks / "first-x").read_text())
    assert taken.params["x"] == first_x  # re-run as the configuration it had drawn, as Optuna's retry does
    # Trial 0 is the second process's run, whole: its parameter, value, curve and attributes.
    assert taken.user_attrs == {"pid": os.getpid()}
    assert taken.value == pytest.approx((taken.params["x"] - 0.5) ** 2)
    assert taken.intermediate_values == {0: taken.value}
    assert taken.system_attrs["retries"] == 1 and "traceback" not in taken.system_attrs
    # The first process went on with a trial of its own.
    assert own.user_attrs == {"pid": first.pid}
    assert own.value == pytest.approx((own.params["x"] - 0.5) ** 2)
