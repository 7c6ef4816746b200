"""A new length (``epochs``) is refused when the trial has trained that many epochs already:
taken after the epoch in progress, it would end the trial past its new length."""

import pytest

from nntune.control import fork_trial, set_trial_params
from nntune.exceptions import ConfigError
from nntune.storage import SQLStorage
from nntune.trial import TrialState


def running_trial(tmp_path, epochs: int) -> tuple[SQLStorage, int, int]:
    store = SQLStorage(f"sqlite:///{tmp_path / 'e.db'}")
    sid = store.create_study("e", "maximize")
    n = store.create_trial(sid)
    store.set_trial_params(sid, n, {"epochs": 30}, {})
    for step in range(1, epochs + 1):  # as the built-in trainer records them
        store.report(sid, n, step, 0.5, {"epoch": step, "value": 0.5, "lr": 0.01})
    return store, sid, n


def test_a_running_trial_cannot_be_shortened_below_what_it_trained(tmp_path):
    store, sid, n = running_trial(tmp_path, 5)
    for epochs in (3, 5):
        with pytest.raises(ConfigError, match="^epochs: trial 0 has trained 5 epochs already; give more than 5"):
            set_trial_params(store, sid, "e", n, {"epochs": epochs})
    assert store.get_param_changes(sid) == []
    assert [c.new for c in set_trial_params(store, sid, "e", n, {"epochs": 6})] == [6]  # ends after the one in progress


def test_a_waiting_fork_cannot_be_shortened_to_its_parents_epoch(tmp_path):
    store, sid, n = running_trial(tmp_path, 5)
    store.finish_trial(sid, n, TrialState.COMPLETE, 0.5)
    fork = fork_trial(store, sid, "e", n, 4)
    with pytest.raises(ConfigError, match="^epochs: trial 1 has trained 4 epochs already"):
        set_trial_params(store, sid, "e", fork, {"epochs": 4})
    assert store.get_param_changes(sid, fork) == []
    set_trial_params(store, sid, "e", fork, {"epochs": 5})
