"""Timestamps in the database server's time: a worker whose clock lags the others' by more
than the grace period looked dead to them while it trained, and its trial was run again."""

from __future__ import annotations

from datetime import timedelta


from nntune.storage import SQLStorage
from nntune.storage._base import utcnow
from nntune.storage._engines import server_skew
from nntune.trial import TrialState



def test_a_lagging_workers_heartbeat_is_not_taken_for_a_dead_one(postgresql_url):
    here = SQLStorage(postgresql_url)
    lagging = SQLStorage(postgresql_url, clock=lambda: utcnow() - timedelta(minutes=5))
    assert abs(lagging.now() - here.now()) < timedelta(seconds=5)  # both read the server's time
    sid = here.create_study("s", "minimize")
    claimed = lagging.claim_trial(sid)
    lagging.heartbeat(sid, claimed.number)
    assert here.recover_stale_trials(sid, grace_seconds=60) == {}
    assert here.get_trial(sid, claimed.number).state == TrialState.RUNNING
    gone = here.recover_stale_trials(sid, grace_seconds=60, max_retries=1, now=here.now() + timedelta(seconds=61))
    assert gone == {claimed.number: TrialState.WAITING}  # a silent one is still found


def test_a_sqlite_file_keeps_this_machines_clock(tmp_path):
    skewed = SQLStorage(f"sqlite:///{tmp_path / 's.db'}", clock=lambda: utcnow() - timedelta(minutes=5))
    assert abs(skewed.now() - (utcnow() - timedelta(minutes=5))) < timedelta(seconds=5)


def test_a_skew_within_the_round_trip_is_none(postgresql_url):
    """The server on this machine shares its clock: however slow the round trip that read
    the server's time, no skew is made of it (a skew of some milliseconds behind stamped
    changes before a moment this machine had already read, and a reader following changes
    from that moment missed them)."""
    store = SQLStorage(postgresql_url)
    slow = iter([utcnow() - timedelta(seconds=1), utcnow() + timedelta(seconds=1)])  # a 2 s round trip
    assert server_skew(store.engine, lambda: next(slow)) == timedelta(0)
    lagging = iter([utcnow() - timedelta(minutes=5, seconds=1), utcnow() - timedelta(minutes=5) + timedelta(seconds=1)])
    assert abs(server_skew(store.engine, lambda: next(lagging)) - timedelta(minutes=5)) < timedelta(seconds=2)
