"""Under the serial executor, a storage whose disk is full is no crash of the trial it
runs: the trial goes back to the queue using up none of its retries and says why, and the
search ends with the storage's one line. Where the storage cannot take even that, the next
run queues the trial again, still using up none of its retries."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.executors import WorkerOptions, run_serial
from nntune.executors._common import unrecorded_trials
from nntune.executors._processes import DISK_FULL
from nntune.samplers import RandomSampler
from nntune.trial import TrialState

NO_RETRY = WorkerOptions(max_retries=0)  # a counted death would fail the trial


def x(trial: nntune.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


def test_a_full_disk_queues_the_trial_again_using_up_none_of_its_retries(tmp_path):
    from executors import _full

    url = f"sqlite:///{tmp_path / 'full.db'}"
    study = nntune.create_study("s", url, sampler=RandomSampler(0), seed=0)
    with pytest.raises(ConfigError) as caught:
        run_serial(study, _full.disk_full_once, total=1, options=NO_RETRY)
    assert caught.value.field == "storage" and "\n" not in str(caught.value)
    assert "the disk it is on is full (database or disk is full)" in str(caught.value)
    study.storage.engine.dispose()  # its connections may not grow the file: a later run opens its own
    study = nntune.load_study(study_name="s", storage=url)
    (trial,) = study.trials
    assert trial.state == TrialState.WAITING and "retries" not in trial.system_attrs
    assert (trial.system_attrs["interruptions"], trial.system_attrs["interrupted"]) == (1, DISK_FULL)
    run_serial(study, x, total=1, options=NO_RETRY)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and trial.value == trial.params["x"]


# The journal may not grow by a byte once the trial is claimed (RLIMIT_FSIZE: EFBIG), so not
# even the trial's re-queue can be written; a small file elsewhere still can.
UNWRITABLE = textwrap.dedent("""
    import resource, signal, sys
    import nntune
    from nntune.executors import WorkerOptions, run_serial
    from nntune.samplers import RandomSampler

    url = sys.argv[1]
    study = nntune.create_study("s", url, sampler=RandomSampler(0), seed=0)

    def objective(trial):
        size = study.storage.path.stat().st_size
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
        trial.set_user_attr("big", "x" * 1000)
        return 0.0

    try:
        run_serial(study, objective, total=1, options=WorkerOptions(max_retries=0))
    except nntune.exceptions.ConfigError as err:
        print(err)
""")


def test_a_trial_left_running_by_a_storage_that_took_nothing_is_queued_again_by_the_next_run(tmp_path):
    url = f"journal://{tmp_path / 'full.log'}"
    run = subprocess.run([sys.executable, "-c", UNWRITABLE, url], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("storage: cannot write the journal ") and "\n" not in run.stdout.strip()
    assert run.stdout.strip().endswith("; trial 0 stays marked running there until the next run queues it again, "
                                       "using up none of its retries"), run.stdout
    study = nntune.load_study(study_name="s", storage=url)
    assert study.trials[0].state == TrialState.RUNNING and set(unrecorded_trials(study)) == {"0"}
    run_serial(study, x, total=1, options=NO_RETRY)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and "retries" not in trial.system_attrs
    assert trial.system_attrs["interrupted"] == DISK_FULL
    assert unrecorded_trials(study) == {}
