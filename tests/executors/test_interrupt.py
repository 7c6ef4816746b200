"""Ctrl-C inside a trial: the trial goes back to the queue (no failure is counted), the
interrupt is raised again, and the next run trains that trial first and reaches the total."""

from __future__ import annotations

import pytest

import nntune
from nntune.executors import run_serial
from nntune.executors._running import INTERRUPTED
from nntune.samplers import RandomSampler
from nntune.trial import TrialState


def test_an_interrupted_trial_is_queued_again_and_the_next_run_continues(tmp_path):
    url = f"sqlite:///{tmp_path / 'i.db'}"
    s = nntune.create_study("i", url, sampler=RandomSampler(0), seed=0)
    calls = {"n": 0}

    def objective(trial):  # noqa: ANN001, ANN202
        x = trial.suggest_float("x", -1.0, 1.0)
        calls["n"] += 1
        if calls["n"] == 2:  # the second trial is interrupted after its first epoch
            trial.report(x * x, 1)
            raise KeyboardInterrupt
        return x * x

    with pytest.raises(KeyboardInterrupt):
        run_serial(s, objective, total=4)
    stored = nntune.load_study("i", url).trials
    assert [t.state for t in stored] == [TrialState.COMPLETE, TrialState.WAITING]
    assert stored[1].system_attrs["interrupted"] == INTERRUPTED and stored[1].intermediate_values == {}
    assert stored[1].error is None

    again = nntune.load_study("i", url)
    assert run_serial(again, objective, total=4) == "the study holds 4 trials"
    trials = nntune.load_study("i", url).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4 and len(trials) == 4


def test_being_interrupted_often_never_fails_the_trial():
    s = nntune.create_study(sampler=RandomSampler(0), seed=0)

    def interrupted(trial):  # noqa: ANN001, ANN202
        trial.suggest_float("x", -1.0, 1.0)
        raise KeyboardInterrupt

    for _ in range(4):  # more than the retries a crashing worker gets
        with pytest.raises(KeyboardInterrupt):
            run_serial(s, interrupted, total=1)
    (only,) = s.trials
    assert only.state == TrialState.WAITING and only.system_attrs["interruptions"] == 4
    assert "retries" not in only.system_attrs  # those are for crashes


def test_a_trial_claimed_by_a_worker_the_supervisor_had_not_heard_from_is_queued_again(tmp_path):
    # A worker killed (by Ctrl-C's shutdown) after claiming a trial but before telling the
    # supervisor which one: the trial carries that worker's identity and goes back to the
    # queue with the others, instead of staying running until a heartbeat expires.
    import multiprocessing as mp
    import time

    from nntune.executors import WorkerOptions
    from nntune.executors._common import worker_identity
    from nntune.executors._processes import ProcessPool, Slot

    s = nntune.create_study("k", f"sqlite:///{tmp_path / 'k.db'}", sampler=RandomSampler(0), seed=0)
    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=time.sleep, args=(60,))
    proc.start()
    try:
        ours, _ = ctx.Pipe()
        claimed = s.try_ask(None, system_attrs={"worker": worker_identity(proc.pid)})
        pool = ProcessPool(None, s, total=4, workers=1, options=WorkerOptions(), timeout=None, callbacks=[],
                           clock=time.monotonic)
        pool.slots.append(Slot(0, proc, ours))  # the supervisor does not know its trial
        pool.shutdown(INTERRUPTED, counted=False)
    finally:
        proc.kill()
    (trial,) = nntune.load_study("k", s.storage.url).trials
    assert trial.number == claimed.number and trial.state == TrialState.WAITING
    assert trial.system_attrs["interrupted"] == INTERRUPTED and not proc.is_alive()


def test_interruptions_leave_a_crashed_trial_its_retries(tmp_path):
    # Ctrl-C twice on one trial, then its worker dies: the retries are for crashes, so the
    # trial is queued again instead of failing as if it had crashed twice already.
    import socket
    import subprocess

    from nntune.executors import WorkerOptions, recover_interrupted

    url = f"sqlite:///{tmp_path / 'r.db'}"
    s = nntune.create_study("r", url, sampler=RandomSampler(0), seed=0)

    def interrupted(trial):  # noqa: ANN001, ANN202
        trial.suggest_float("x", -1.0, 1.0)
        raise KeyboardInterrupt

    for _ in range(2):
        with pytest.raises(KeyboardInterrupt):
            run_serial(s, interrupted, total=1)
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = {"host": socket.gethostname(), "pid": gone.pid, "started": 1.0}
    claimed = s.storage.claim_trial(s.id, system_attrs={"worker": dead})
    assert recover_interrupted(s, WorkerOptions(max_retries=2)) == {claimed.number: TrialState.WAITING}
    (trial,) = nntune.load_study("r", url).trials
    assert trial.state == TrialState.WAITING and trial.system_attrs["retries"] == 1


def test_sigterm_and_sighup_interrupt_only_while_searching_and_a_programs_own_handler_is_kept():
    import signal

    from nntune.executors._running import termination_as_interrupt

    def own(signum, frame):  # noqa: ANN001, ANN202
        pass

    previous = signal.signal(signal.SIGHUP, own)
    try:
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        with termination_as_interrupt():
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGTERM)
            assert signal.getsignal(signal.SIGHUP) is own
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_ctrl_c_between_a_claim_and_its_objective_queues_the_trial_again(tmp_path):
    # Ctrl-C while the sampler draws (or a kill a batch scheduler sends at that moment): the
    # trial was claimed, its objective never ran, and it stayed running until its heartbeat
    # went silent, so a rerun of the same command had to wait for it.
    class InterruptedWhileDrawing(RandomSampler):
        def suggest(self, *args, **kwargs):
            raise KeyboardInterrupt

    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", sampler=InterruptedWhileDrawing(0))
    with pytest.raises(KeyboardInterrupt):
        run_serial(study, lambda t: t.suggest_float("x", 0, 1), total=3)
    (trial,) = study.trials
    assert trial.state == TrialState.WAITING and trial.system_attrs["interrupted"] == INTERRUPTED
    assert "retries" not in trial.system_attrs
