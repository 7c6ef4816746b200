"""A study deleted (``nntune delete-study``) while its search runs: the search stops with a
StudyNotFoundError that says so (the command line's one line and exit code 2), and no worker
prints a traceback."""

from __future__ import annotations

import time

import pytest

import nntune
from nntune.executors import run_processes, run_serial, study_setup
from nntune.samplers import RandomSampler
from nntune.storage import StudyNotFoundError


def deleting(trial: nntune.Trial) -> float:
    """Trial 1 deletes its own study (as another terminal would), then reports."""
    x = trial.suggest_float("x", 0.0, 1.0)
    if trial.number == 1:
        nntune.delete_study(study_name="s", storage=trial.study.storage.url)
    trial.report(x, 1)
    time.sleep(0.2)
    return x


def test_the_serial_search_of_a_deleted_study_says_it_was_deleted(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    study = nntune.create_study("s", url, sampler=RandomSampler(0), seed=0)
    with pytest.raises(StudyNotFoundError, match="the study was deleted while it was in use"):
        run_serial(study, deleting, total=4)
    assert nntune.get_all_study_names(url) == []


@pytest.mark.slow
@pytest.mark.parametrize("url_of", [lambda tmp: f"sqlite:///{tmp / 'd.db'}", lambda tmp: f"journal://{tmp / 'd.log'}"])
def test_workers_of_a_deleted_study_stop_without_tracebacks(tmp_path, capfd, url_of):
    url = url_of(tmp_path)
    study = nntune.create_study("s", url, sampler=RandomSampler(0), seed=0)
    with pytest.raises(StudyNotFoundError, match="the study was deleted while it was in use"):
        run_processes(study_setup(url, "s", deleting), study, total=6, workers=2)
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert nntune.get_all_study_names(url) == []
