"""A fork refused for having no epoch left names whose length it is: the fork's own
``epochs=`` when one is given, else its parent's."""

import pytest

from nntune.control import fork_trial
from nntune.exceptions import ConfigError
from nntune.storage import SQLStorage
from nntune.trial import TrialState


def parent(tmp_path, epochs: int) -> tuple[SQLStorage, int, int]:
    """A trial of ``epochs`` epochs stopped after its tenth."""
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    sid = store.create_study("s", "maximize")
    number = store.create_trial(sid, system_attrs={"fixed_params": {"epochs": epochs, "lr": 0.01}})
    for epoch in range(1, 11):
        store.report(sid, number, epoch, 0.5)
    store.finish_trial(sid, number, TrialState.PRUNED)
    return store, sid, number


def test_a_fork_given_too_few_epochs_is_told_its_own_length_not_the_parents(tmp_path):
    store, sid, number = parent(tmp_path, 300)
    with pytest.raises(ConfigError, match=r"^from_epoch: the fork would train 5 epochs, so a fork from epoch 10 "):
        fork_trial(store, sid, "s", number, 10, {"epochs": 5})
    assert len(store.get_trials(sid)) == 1  # nothing queued


def test_a_fork_of_a_trial_with_no_epoch_left_names_the_parents_length(tmp_path):
    store, sid, number = parent(tmp_path, 10)
    with pytest.raises(ConfigError, match=r"^from_epoch: trial 0 trains 10 epochs, so a fork from epoch 10 "):
        fork_trial(store, sid, "s", number, 10, {"lr": 0.001})
    assert len(store.get_trials(sid)) == 1
