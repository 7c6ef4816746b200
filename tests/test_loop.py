"""Torch's threads for the trials of ``optimize(n_jobs=N)`` (``nntune._loop``)."""

from __future__ import annotations

import os
import threading

import pytest
import torch

import nntune
from nntune._loop import JobThreads, threads_per_job
from nntune.exceptions import ConfigError


def test_each_trial_gets_an_equal_share_of_the_cores_capped_by_the_callers_count():
    assert threads_per_job(2, 2, 2, {}) == 1
    assert threads_per_job(2, 8, 8, {}) == 4
    assert threads_per_job(2, 8, 2, {}) == 2  # the caller asked for 2: a ceiling
    assert threads_per_job(4, 2, 2, {}) == 1  # more trials than cores: one each
    assert threads_per_job(3, 16, 16, {"NNTUNE_THREADS": "auto"}) == 5
    assert threads_per_job(2, 8, 8, {"NNTUNE_THREADS": "3"}) == 3  # obeyed as it is
    assert threads_per_job(1, 8, 8, {"NNTUNE_THREADS": "3"}) is None  # one at a time: torch left alone
    with pytest.raises(ConfigError, match="NNTUNE_THREADS"):
        threads_per_job(2, 8, 8, {"NNTUNE_THREADS": "many"})


def test_job_threads_leave_a_process_without_torch_alone(monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "torch")
    jobs = JobThreads(2, environ={}, usable_cores=4)
    jobs.remember()
    assert jobs.apply() is None and jobs.before is None


def test_a_define_by_run_objective_under_two_jobs_runs_on_its_share_and_the_count_comes_back(monkeypatch):
    monkeypatch.delenv("NNTUNE_THREADS", raising=False)
    usable = len(os.sched_getaffinity(0))
    saved = torch.get_num_threads()
    before = max(2, usable)  # more than a share, so the share is below it on any machine
    torch.set_num_threads(before)
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def objective(trial: nntune.Trial) -> float:
        width = trial.suggest_int("width", 4, 16)
        layer = torch.nn.Linear(64, width)
        loss = layer(torch.rand(32, 64)).square().mean()  # a user's own torch code
        loss.backward()
        with lock:
            seen.append((threading.current_thread().name, torch.get_num_threads()))
        return loss.item()

    try:
        study = nntune.create_study(seed=0)
        study.optimize(objective, n_trials=6, n_jobs=2)
        share = threads_per_job(2, usable, before, {})
        assert share is not None and share < before
        assert {n for _, n in seen} == {share} and len(seen) == 6
        assert torch.get_num_threads() == before  # the caller's count is given back
        monkeypatch.setenv("NNTUNE_THREADS", "zero")
        with pytest.raises(ConfigError, match="NNTUNE_THREADS"):
            study.optimize(objective, n_trials=2, n_jobs=2)
        assert len(study.trials) == 6  # refused before any trial
    finally:
        torch.set_num_threads(saved)


def test_the_built_in_trainers_thread_rule_stays_within_a_trials_share(monkeypatch):
    from nntune.train.threads import thread_cap, use_threads

    monkeypatch.delenv("NNTUNE_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    usable = len(os.sched_getaffinity(0))
    saved = torch.get_num_threads()
    torch.set_num_threads(max(2, usable))
    chosen: list[tuple[int | None, int]] = []
    lock = threading.Lock()

    def objective(trial: nntune.Trial) -> float:
        choice = use_threads(device="cpu")  # what fit() applies at the start of a run
        with lock:
            chosen.append((thread_cap(), choice.threads))
        return trial.suggest_float("x", 0, 1)

    try:
        nntune.create_study(seed=0).optimize(objective, n_trials=4, n_jobs=2)
        share = threads_per_job(2, usable, max(2, usable), {})
        assert [cap for cap, _ in chosen] == [share] * 4
        assert all(threads <= share for _, threads in chosen)  # not every core for each trial
        assert thread_cap() is None  # the caller's own thread was never capped
    finally:
        torch.set_num_threads(saved)


def test_the_heartbeat_outlasts_a_storage_failure_and_stops_once_the_trial_is_finished():
    """A database that fails a beat past its retries (a server restarting) must not silence
    the trial for good: after the grace period it would be taken for dead while it trains."""
    from sqlalchemy.exc import OperationalError

    from nntune._loop import Heartbeat
    from nntune.exceptions import TrialStateError

    class Storage:
        def __init__(self):
            self.calls, self.finished = [], threading.Event()

        def heartbeat(self, study_id, number, **claim):
            self.calls.append(number)
            if len(self.calls) == 1:
                raise OperationalError("UPDATE trials ...", {}, Exception("server closed the connection"))
            if len(self.calls) == 3:
                self.finished.set()
                raise TrialStateError("trial 4 is complete, not running")

    storage = Storage()
    beat = Heartbeat(storage, 1, 4, 0.001)
    with beat:
        assert storage.finished.wait(10)
        beat._thread.join(10)
        assert not beat._thread.is_alive()  # a finished trial ends the beating
    assert storage.calls == [4, 4, 4]
