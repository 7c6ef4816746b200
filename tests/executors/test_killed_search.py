"""The search process killed (kill -9, a closed terminal, a restarted machine) while its
workers train: every run of the same command queues the interrupted trial again without
using up one of its retries, which are for trials whose own worker died."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import nntune
from nntune.executors import WorkerOptions, recover_interrupted
from nntune.samplers import RandomSampler
from nntune.trial import TrialState

TESTS = str(Path(__file__).resolve().parents[1])
# A search process start (and its worker's) is most of this module's time: the fewest
# retries that still let a counted kill fail the trial, so one kill more than them suffices.
RETRIES = 1

SEARCH = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from executors import _released
    import nntune
    from nntune.executors import WorkerOptions, _processes, run_processes, study_setup

    # The fork server imports only what this objective needs: its default preload (torch,
    # torch._dynamo, the built-in trainers) held each search about 9 s on 2 cores before its
    # trial ran, three searches a test, and none of it is what a killed search is about.
    _processes.PRELOAD = ("nntune.executors._worker", "nntune.storage.sql", "executors._released")

    if __name__ == "__main__":
        url = {url!r}
        study = nntune.load_study("s", url)
        # One retry for a trial whose own worker dies: two kills of the search are one more.
        print(run_processes(study_setup(url, "s", _released.held_until_released), study, total=1, workers=1,
                            options=WorkerOptions(max_retries={retries})))
""")


def _dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def test_a_trial_whose_search_process_is_gone_is_queued_again_without_a_retry(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = nntune.create_study("r", url, sampler=RandomSampler(0), seed=0)
    host = socket.gethostname()
    ended = {"host": host, "pid": _dead_pid(), "started": 1.0, "supervisor": {"pid": _dead_pid(), "started": 1.0}}
    driver_ended = {"host": host, "pid": _dead_pid(), "started": 1.0,  # a Ray actor and its driver
                    "supervisor": {"host": host, "pid": _dead_pid(), "started": 1.0}}
    alone = {"host": host, "pid": _dead_pid(), "started": 1.0,
             "supervisor": {"pid": os.getpid(), "started": nntune.executors.worker_identity()["started"]}}
    for who in (ended, driver_ended, ended, alone):  # three runs killed, then a worker that died alone
        claimed = study.storage.claim_trial(study.id, system_attrs={"worker": who})
        assert recover_interrupted(study, WorkerOptions(max_retries=2)) == {claimed.number: TrialState.WAITING}
    (trial,) = nntune.load_study("r", url).trials
    assert trial.state == TrialState.WAITING and trial.system_attrs["retries"] == 1
    assert trial.system_attrs["interrupted"].startswith(f"its worker process {alone['pid']} on {host} died")


def _running_under_new_worker(url: str, seen: set[int], deadline: float) -> bool:
    while time.monotonic() < deadline:
        for t in nntune.load_study("s", url).trials:
            pid = t.system_attrs.get("worker", {}).get("pid")
            if t.state == TrialState.RUNNING and pid not in seen:
                seen.add(pid)
                return True
        time.sleep(0.1)
    return False


def _search_script(tmp_path: Path, template: str) -> tuple[str, Path, Path, dict[str, str]]:
    """A fresh study, the search ``template`` written for it, the file whose existence lets
    its trial end, and the environment naming that file: (url, script, release, env)."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study("s", url, sampler=RandomSampler(0), seed=0)
    script = tmp_path / "search.py"
    script.write_text(template.format(tests=TESTS, url=url, retries=RETRIES))
    release = tmp_path / "release"
    return url, script, release, {**os.environ, "NNTUNE_TEST_RELEASE": str(release)}


def _end_while_running(script: Path, url: str, env: dict[str, str], sig: int, seen: set[int]) -> int:
    """Start the search ``script``, send ``sig`` once its trial runs under a new worker, and
    return the search's exit code."""
    search = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert _running_under_new_worker(url, seen, time.monotonic() + 120)
    finally:
        os.kill(search.pid, sig)
    return search.wait(timeout=60)


@pytest.mark.slow
def test_killing_the_search_again_and_again_never_fails_the_trial(tmp_path):
    url, script, release, env = _search_script(tmp_path, SEARCH)
    seen: set[int] = set()
    for _ in range(RETRIES + 1):  # one more than the retries a trial gets for its own crashes
        _end_while_running(script, url, env, signal.SIGKILL, seen)
    release.touch()
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "the study holds 1 trial"
    (trial,) = nntune.load_study("s", url).trials
    assert trial.state == TrialState.COMPLETE and "retries" not in trial.system_attrs
    assert "the search process" in trial.system_attrs["interrupted"]


SERIAL = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from executors import _released
    import nntune
    from nntune.executors import run_serial

    if __name__ == "__main__":
        study = nntune.load_study("s", {url!r})
        try:
            print(run_serial(study, _released.held_until_released, total=1))
        except KeyboardInterrupt:
            sys.exit(130)
""")


@pytest.mark.slow
def test_a_serial_search_ended_by_sigterm_again_and_again_never_fails_the_trial(tmp_path):
    # Serially the trial runs in the search process itself: kill -9 cannot tell a trial that
    # crashed it from a user, but `kill` (SIGTERM), a closed terminal (SIGHUP) or a batch
    # scheduler's preemption ends the search as Ctrl-C does.
    url, script, release, env = _search_script(tmp_path, SERIAL)
    seen: set[int] = set()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGTERM):
        assert _end_while_running(script, url, env, sig, seen) == 130
        (trial,) = nntune.load_study("s", url).trials
        assert trial.state == TrialState.WAITING  # queued again at once, not left running
    release.touch()
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (trial,) = nntune.load_study("s", url).trials
    assert trial.state == TrialState.COMPLETE and "retries" not in trial.system_attrs
    assert trial.system_attrs["interruptions"] == 3
