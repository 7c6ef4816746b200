"""A worker whose trial was taken from it (its heartbeat stopped, the trial was re-queued and
claimed again) can no longer write to that trial: every storage refuses the late writes of a
superseded claim, so the trial keeps one worker's parameters and value."""

from datetime import timedelta

import pytest

from nntune.space import Float
from nntune.storage import TrialStateError, TrialTakenOver
from nntune.storage._base import utcnow
from nntune.trial import TrialState

LATER = timedelta(hours=1)  # "now" for the stale sweep: every heartbeat is an hour old by then


def _claim(storage, sid, **kwargs):
    started = storage.claim_trial(sid, **kwargs)
    return started.number, started.system_attrs["claim"]


def test_a_superseded_claim_writes_nothing_to_the_trial_another_worker_runs(storage):
    sid = storage.create_study("s", "minimize")
    n, first = _claim(storage, sid, system_attrs={"worker": {"pid": 1}})
    storage.set_trial_params(sid, n, {"x": 0.9}, {"x": Float(0, 1)}, claim=first)
    assert storage.recover_stale_trials(sid, 10, max_retries=1, now=utcnow() + LATER) == {n: TrialState.WAITING}
    again, second = _claim(storage, sid, system_attrs={"worker": {"pid": 2}})
    assert again == n and second != first
    storage.set_trial_params(sid, n, {"x": 0.1}, {"x": Float(0, 1)}, claim=second)
    storage.report(sid, n, 0, 0.2, claim=second)

    # The first worker resumes: everything it writes is refused, in one line.
    late = [lambda: storage.set_trial_params(sid, n, {"x": 0.9}, {"x": Float(0, 1)}, claim=first),
            lambda: storage.report(sid, n, 0, 0.64, claim=first),
            lambda: storage.report(sid, n, 1, 0.64, {"loss": 1.0}, claim=first),
            lambda: storage.heartbeat(sid, n, claim=first),
            lambda: storage.set_trial_user_attrs(sid, n, {"pid": 1}, claim=first),
            lambda: storage.set_trial_system_attr(sid, n, "values", [0.64], claim=first),
            lambda: storage.finish_trial(sid, n, TrialState.COMPLETE, 0.64, claim=first)]
    for write in late:
        with pytest.raises(TrialTakenOver, match=f"trial {n} was taken from this worker") as refused:
            write()
        assert isinstance(refused.value, TrialStateError) and "\n" not in str(refused.value)
    running = storage.get_trial(sid, n)
    assert running.state == TrialState.RUNNING and running.params == {"x": 0.1}
    assert running.intermediate_values == {0: 0.2} and running.metrics == []
    assert running.user_attrs == {} and "values" not in running.system_attrs

    storage.heartbeat(sid, n, claim=second)
    storage.set_trial_user_attrs(sid, n, {"pid": 2}, claim=second)
    storage.finish_trial(sid, n, TrialState.COMPLETE, 0.01, claim=second)
    done = storage.get_trial(sid, n)
    assert (done.state, done.params, done.value) == (TrialState.COMPLETE, {"x": 0.1}, 0.01)
    assert done.user_attrs == {"pid": 2} and done.system_attrs["worker"] == {"pid": 2}
    with pytest.raises(TrialTakenOver):  # finished by the other worker: still not this one's
        storage.finish_trial(sid, n, TrialState.COMPLETE, 0.64, claim=first)
    assert storage.get_trial(sid, n).value == 0.01


def test_every_claim_of_a_trial_gets_its_own_number(storage):
    sid = storage.create_study("s", "minimize")
    storage.create_trial(sid, state=TrialState.WAITING)
    numbers = []
    for _ in range(3):
        n, claim = _claim(storage, sid, waiting_only=True)
        numbers.append(claim)
        storage.recover_trial(sid, n, "worker died", max_retries=5)
    assert len(set(numbers)) == 3
    n, claim = _claim(storage, sid, number=0)
    assert claim not in numbers
    new, fresh = _claim(storage, sid)  # a new trial's first claim
    assert new == 1 and fresh == 1


def test_a_claim_taken_back_is_refused_before_anyone_claims_the_trial_again(storage):
    sid = storage.create_study("s", "minimize")
    n, first = _claim(storage, sid)
    storage.recover_trial(sid, n, "no heartbeat", max_retries=1)  # waiting now
    with pytest.raises(TrialTakenOver):
        storage.report(sid, n, 0, 0.5, claim=first)
    again, second = _claim(storage, sid)
    storage.recover_trial(sid, again, "no heartbeat", max_retries=1)  # no retry left: failed
    assert storage.get_trial(sid, n).state == TrialState.FAILED
    with pytest.raises(TrialTakenOver):
        storage.finish_trial(sid, n, TrialState.COMPLETE, 0.5, claim=second)
    assert storage.get_trial(sid, n).value is None


def test_writes_without_a_claim_are_not_checked(storage):
    sid = storage.create_study("s", "minimize")
    n, _ = _claim(storage, sid)
    storage.recover_trial(sid, n, "no heartbeat", max_retries=1)
    _claim(storage, sid)
    storage.set_trial_params(sid, n, {"x": 0.5}, {"x": Float(0, 1)})
    storage.report(sid, n, 0, 0.5)
    storage.heartbeat(sid, n)
    storage.finish_trial(sid, n, TrialState.COMPLETE, 0.5)
    assert storage.get_trial(sid, n).value == 0.5
