"""``study.optimize(objective, n_jobs=N)`` with a user's objective: what an Optuna user sees
when one of the threads' trials, or the caller, is interrupted."""

from __future__ import annotations

import _thread
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.trial import TrialState


def interrupt_by_signal() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, or a notebook's interrupt


def interrupt_from_another_thread() -> None:
    # The signal as it lands when the kernel hands it to a thread other than the caller's:
    # marked pending, the caller's thread not woken (here, deterministically).
    _thread.interrupt_main(signal.SIGINT)


def interrupt_as_an_exception() -> None:
    # KeyboardInterrupt raised in the caller's thread at its next line of Python, as the
    # handler of a Ctrl-C raises it, without the signal machinery of a shared test process.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.main_thread().ident),
                                               ctypes.py_object(KeyboardInterrupt))


FORMS: dict[str, Callable[[], None]] = {"signal": interrupt_by_signal, "other-thread": interrupt_from_another_thread,
                                        "exception": interrupt_as_an_exception}


def ctrl_c_scenario(form: str) -> None:
    """Two trials in flight under n_jobs=2, then Ctrl-C in the form ``form``."""
    interrupt = FORMS[form]
    started = threading.Semaphore(0)
    release = threading.Event()

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        started.release()
        release.wait(5)
        return x

    def interrupt_once_two_run() -> None:
        started.acquire(timeout=5)
        started.acquire(timeout=5)
        interrupt()
        # The trials end once the caller's thread has taken the interrupt, however long a
        # loaded machine takes to schedule it (a fixed 0.2 s let 38 more trials start).
        deadline = time.monotonic() + 30
        while not study.stop_requested and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()

    study = nntune.create_study(seed=0)
    threading.Thread(target=interrupt_once_two_run, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=40, n_jobs=2)
    # As Optuna: the two trials in flight are told before the interrupt is raised ...
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.COMPLETE]
    time.sleep(0.3)
    # ... and no thread goes on starting trials after optimize has returned.
    assert len(study.trials) == 2
    assert not [t for t in threading.enumerate() if t.name.startswith("nntune-trial-") and t.is_alive()]


SCENARIO = "import sys; sys.path.insert(0, sys.argv[2]); from test_optimize_threads import ctrl_c_scenario; " \
           "ctrl_c_scenario(sys.argv[1]); print('raised')"


@pytest.mark.parametrize("form", list(FORMS))
def test_ctrl_c_under_threads_lets_the_trials_in_flight_finish_and_starts_no_more(form: str) -> None:
    if form == "exception":
        ctrl_c_scenario(form)
        return
    # A real signal in a fresh interpreter: in about half of the full suite's runs one test
    # process (after thousands of tests) took no SIGINT at all, in both signal forms, with
    # its handler Python's own; that is the shared process's state, not what is tested here.
    done = subprocess.run([sys.executable, "-c", SCENARIO, form, str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "raised" in done.stdout, done.stderr[-3000:]


def _objective(trial: nntune.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


@pytest.mark.parametrize(("options", "field"), [
    ({"n_trials": -1}, "n_trials"),     # ran no trial without a word
    ({"n_trials": 1.5}, "n_trials"),    # ran two
    ({"timeout": -1}, "timeout"),
    ({"timeout": float("nan")}, "timeout"),
    ({"n_jobs": 1.5}, "n_jobs"),        # ran in one thread
    ({"n_jobs": "2"}, "n_jobs"),
    ({"n_jobs": True}, "n_jobs"),
    ({"catch": "ValueError"}, "catch"),  # refused only once a trial had failed
    ({"catch": None}, "catch"),
    ({"catch": [ValueError, 3]}, "catch"),
    ({"callbacks": lambda study, trial: None}, "callbacks"),  # refused after the first trial
    ({"callbacks": [print, "log"]}, "callbacks"),
])
def test_optimizes_bad_arguments_are_refused_in_one_line_naming_them_before_any_trial(options, field):
    study = nntune.create_study(seed=0)
    with pytest.raises(ConfigError, match=f"^{field}: ") as err:
        study.optimize(_objective, **{"n_trials": 2, **options})
    assert "\n" not in str(err.value)
    assert study.trials == []


def test_optimizes_good_arguments_in_every_form_optuna_takes():
    import numpy as np

    study = nntune.create_study(seed=0)
    seen: list[int] = []
    study.optimize(_objective, n_trials=np.int64(2), timeout=np.float64(60), n_jobs=-1, catch=ValueError,
                   callbacks=(lambda s, t: seen.append(t.number) for _ in range(1)))
    study.optimize(_objective, n_trials=0, catch=[ValueError, KeyError], callbacks=None)
    assert len(study.trials) == 2 and sorted(seen) == [0, 1]  # a generator of callbacks serves every trial
    study.optimize(_objective, n_trials=1.0, n_jobs=2.0)  # whole floats, as a config or argparse gives them
    assert len(study.trials) == 3 and study.stop_reason == "ran 1 trial"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs two cores to give one away")
def test_n_jobs_minus_one_runs_one_trial_per_core_this_process_may_use():
    # A job given some of a node's cores (taskset, a cluster's allocation) ran one thread per
    # core of the machine on them.
    saved = os.sched_getaffinity(0)
    seen: set[str] = set()

    def objective(trial: nntune.Trial) -> float:
        seen.add(threading.current_thread().name)
        return trial.suggest_float("x", 0.0, 1.0)

    try:
        os.sched_setaffinity(0, {min(saved)})
        nntune.create_study(seed=0).optimize(objective, n_trials=4, n_jobs=-1)
    finally:
        os.sched_setaffinity(0, saved)
    assert seen == {threading.main_thread().name}  # one core: one trial at a time, in the caller's thread


def test_a_second_optimize_ending_leaves_the_first_ones_threads_storing_suggestions_at_once():
    # Each suggestion of a trial that runs beside others is stored at once, so the samplers
    # of the others see it (constant liar). A second optimize call on the same study, from
    # another thread, switched that off for the first call's threads when it ended.
    study = nntune.create_study(seed=0)
    release = threading.Event()
    eager: list[bool] = []

    def first(trial: nntune.Trial) -> float:
        eager.append(trial.eager)
        release.wait(10)
        return trial.suggest_float("x", 0.0, 1.0)

    runner = threading.Thread(target=study.optimize, args=(first,), kwargs={"n_trials": 4, "n_jobs": 2})
    runner.start()
    while len(eager) < 2:
        time.sleep(0.01)
    study.optimize(_objective, n_trials=1)  # ends while the first call's trials wait
    release.set()
    runner.join(10)
    assert eager == [True] * 4 and study._parallel_jobs == 0
