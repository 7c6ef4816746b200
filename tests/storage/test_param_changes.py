"""Changes of a trial's hyperparameters while it trains: the same answers from every storage."""

import pytest

from nntune.storage import TrialStateError
from nntune.storage._base import ParamChange, applied_changes, utcnow
from nntune.trial import TrialState


def test_changes_are_pending_until_taken_then_history(storage):
    sid = storage.create_study("s", "maximize")
    n = storage.create_trial(sid)
    other = storage.create_trial(sid)
    added = storage.add_param_changes(sid, n, {"lr": 3e-4, "weight_decay": 1e-4})
    assert [(c.param, c.new, c.who, c.pending) for c in added] == [
        ("lr", 3e-4, "user", True), ("weight_decay", 1e-4, "user", True)]
    storage.add_param_changes(sid, n, {"lr": 1e-4})
    storage.add_param_changes(sid, other, {"dropout": 0.5}, who="pbt")
    assert storage.take_param_changes(sid, other, 2, {}) [0].who == "pbt"

    taken = storage.take_param_changes(sid, n, 3, {"lr": 1e-3, "weight_decay": 0.0})
    # The second lr change's old value is the first one's new value.
    assert [(c.param, c.old, c.new, c.epoch) for c in taken] == [
        ("lr", 1e-3, 3e-4, 3), ("weight_decay", 0.0, 1e-4, 3), ("lr", 3e-4, 1e-4, 3)]
    assert storage.take_param_changes(sid, n, 4, {"lr": 1e-4}) == []
    stored = storage.get_param_changes(sid, n)
    assert [(c.param, c.old, c.new, c.epoch, c.pending) for c in stored] == [
        ("lr", 1e-3, 3e-4, 3, False), ("weight_decay", 0.0, 1e-4, 3, False), ("lr", 3e-4, 1e-4, 3, False)]
    assert [c.trial for c in storage.get_param_changes(sid)] == [n, n, n, other]


def test_a_finished_or_unknown_trial_takes_no_change(storage):
    sid = storage.create_study("s", "maximize")
    n = storage.create_trial(sid)
    storage.finish_trial(sid, n, TrialState.COMPLETE, 0.5)
    with pytest.raises(TrialStateError):
        storage.add_param_changes(sid, n, {"lr": 0.1})
    with pytest.raises(KeyError):
        storage.add_param_changes(sid, 7, {"lr": 0.1})
    with pytest.raises(TypeError):  # not JSON: nothing written
        storage.add_param_changes(sid, storage.create_trial(sid), {"lr": 0.1, "bad": object()})
    assert storage.get_param_changes(sid) == []


def test_waiting_trials_take_changes_and_deleting_the_study_drops_them(storage):
    sid = storage.create_study("s", "maximize")
    n = storage.create_trial(sid, state=TrialState.WAITING)
    storage.add_param_changes(sid, n, {"epochs": 12})
    assert len(storage.get_param_changes(sid, n)) == 1
    storage.delete_study("s")
    sid = storage.create_study("s", "maximize")
    assert storage.get_param_changes(sid) == []


def test_applied_changes_is_pure():
    now = utcnow()
    pending = [ParamChange(1, 0, "lr", 0.1, "user", now), ParamChange(2, 0, "lr", 0.2, "user", now)]
    out = applied_changes(pending, 5, {"lr": 0.01})
    assert [(c.old, c.new, c.epoch) for c in out] == [(0.01, 0.1, 5), (0.1, 0.2, 5)]
    assert all(c.pending for c in pending)
