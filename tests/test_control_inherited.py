"""A PBT child's change records list every parameter its explore step changed relative to
its parent, the optimizer too (a child is built afresh, so it may train with another one)."""

from __future__ import annotations

from nntune.control import record_inherited
from nntune.space import Choice, Float
from nntune.storage.memory import InMemoryStorage

SPACE = {"lr": Float(1e-4, 1.0, log=True), "optimizer": Choice(("sgd", "momentum", "adam", "rmsprop")),
         "batch_size": Choice((32, 64))}


def test_a_child_records_its_optimizer_batch_size_and_rate_changes_at_its_parents_step() -> None:
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    parent = storage.create_trial(sid, params={"lr": 0.02, "optimizer": "adam", "batch_size": 32},
                                  distributions=SPACE)
    child = storage.create_trial(sid, params={"lr": 0.016, "optimizer": "rmsprop", "batch_size": 64},
                                 distributions=SPACE)
    # The child's whole hyperparameters, as the trainer builds them: the unchanged and the
    # unsearched (epochs) are not changes.
    started = {"lr": 0.016, "optimizer": "rmsprop", "batch_size": 64, "epochs": 8}
    taken = record_inherited(storage, sid, child, parent, 4, started, "pbt")
    assert {c.param: (c.old, c.new) for c in taken} == {
        "lr": (0.02, 0.016), "optimizer": ("adam", "rmsprop"), "batch_size": (32, 64)}
    assert all(c.epoch == 4 and c.who == "pbt" and not c.pending for c in taken)
    assert [c.param for c in storage.get_param_changes(sid, child)] == ["lr", "optimizer", "batch_size"]


def test_a_child_that_kept_its_parents_parameters_records_nothing() -> None:
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    params = {"lr": 0.02, "optimizer": "adam", "batch_size": 32}
    parent = storage.create_trial(sid, params=params, distributions=SPACE)
    child = storage.create_trial(sid, params=params, distributions=SPACE)
    assert record_inherited(storage, sid, child, parent, 4, params, "pbt") == []
    assert storage.get_param_changes(sid, child) == []
