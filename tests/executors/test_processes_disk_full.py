"""A worker that cannot write to the storage because its disk is full is no crash of its
trial: the trial goes back to the queue using up none of its retries, says why, and the
search ends with the storage's one line."""

import time

import pytest

from nntune.exceptions import ConfigError
from nntune.executors import WorkerOptions, run_processes, study_setup
from nntune.executors._processes import DISK_FULL
from nntune.trial import TrialState


@pytest.mark.slow
def test_a_full_disk_uses_up_none_of_the_trials_retries(tmp_path, make_study):
    from executors import _full

    url = f"sqlite:///{tmp_path / 'full.db'}"
    study = make_study(url)
    setup = study_setup(url, "s", _full.disk_full_once)
    options = WorkerOptions(max_retries=0)  # a counted worker death would have failed it
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        run_processes(setup, study, total=1, workers=1, options=options)
    assert caught.value.field == "storage" and "\n" not in str(caught.value)
    assert "the disk it is on is full (database or disk is full)" in str(caught.value)
    assert time.monotonic() - started < 15  # the search ended at once, no worker respawned in vain
    trial = study.trials[0]
    assert trial.state == TrialState.WAITING and "retries" not in trial.system_attrs
    assert (trial.system_attrs["interruptions"], trial.system_attrs["interrupted"]) == (1, DISK_FULL)
    # With room again, the same trial runs and completes.
    run_processes(setup, study, total=1, workers=1, options=options)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and trial.value == trial.params["x"]
