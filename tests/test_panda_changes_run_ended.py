"""A change asked while a babysat trial trains its last epoch is taken at the boundary where
the run ends, and no epoch trains with it: ``nntune trial changes`` (table and JSON), the
live view's last frame, the curves' marks and a fork from that epoch treat it as never
trained with, not as applied; a continuation of a stopped trial takes it over."""

import json
from typing import Any

from nntune.control import change_rows, changes_by_trial
from nntune.panda import open_babysit_study, queue_fork, queue_new, queue_resume, train_queued
from nntune.panda_view import change_lines
from nntune.trial import TrialState

from tests.test_panda_cli_end import config


def ask(study: Any, at: dict[int, dict[str, Any]], stop_at: int | None = None):
    """An on_epoch that asks ``at[epoch]`` after that epoch is reported (while the next one trains)."""
    def on_epoch(trial: Any, epoch: int, record: dict[str, Any]) -> None:
        if epoch in at:
            study.set_trial_params(trial.number, at[epoch])
        if epoch == stop_at:
            study.stop_trial(trial.number)
    return on_epoch


def test_a_change_asked_in_the_last_epoch_is_not_applied(tmp_path, call_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the table's cells on one line each
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    # lr asked while epoch 2 trains (taken after it), weight_decay while epoch 3, the last, trains.
    done = train_queued(study, cfg, queue_new(study, cfg),
                        on_epoch=ask(study, {1: {"lr": 0.02}, 2: {"weight_decay": 1e-3}})).trial
    assert done.state == TrialState.COMPLETE and sorted(done.intermediate_values) == [1, 2, 3]
    rows = {r["param"]: r for r in change_rows(study.storage, study.id, 0)}
    assert (rows["lr"]["epoch"], rows["lr"]["status"]) == (2, "applied")
    assert (rows["weight_decay"]["epoch"], rows["weight_decay"]["status"]) == (3, "dropped")

    code, out, err = call_cli("trial", "changes", "--study", "panda", "--storage", cfg.storage, "--json")
    assert code == 0, err
    assert [(r["param"], r["status"]) for r in json.loads(out)] == [("lr", "applied"), ("weight_decay", "dropped")]
    code, out, err = call_cli("trial", "changes", "--study", "panda", "--storage", cfg.storage)
    assert code == 0 and "│ 0     │ not applied: the run ended after epoch 3 │ weight_decay │ -    │ 0.001 │" in out, out

    final = study.storage.get_trial(study.id, 0, with_metrics=False)
    lines = change_lines(study.storage.get_param_changes(study.id, 0), final)
    assert lines == ["after epoch 2: lr 0.01 -> 0.02 (user)",
                     "not applied: weight_decay = 0.001 (user); the run ended after epoch 3"]
    # The curves mark the epoch after which lr changed, and nothing after the last one.
    assert [c["param"] for c in changes_by_trial(study.storage, study.id)[0]] == ["lr"]

    # A fork from the last epoch starts with what the trial trained with there.
    fork = queue_fork(study, cfg, 0, 3, {"epochs": 4})
    start = study.storage.get_trial(study.id, fork, with_metrics=False).system_attrs["fixed_params"]
    assert start["lr"] == 0.02 and start.get("weight_decay", 0.0) == 0.0


def test_a_change_taken_with_a_stop_goes_to_the_continuation(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    # Asked while epoch 2 trains, lr then stop: both taken after epoch 2, where the run ends.
    stopped = train_queued(study, cfg, queue_new(study, cfg), on_epoch=ask(study, {1: {"lr": 0.02}}, stop_at=1)).trial
    assert stopped.state == TrialState.PRUNED and sorted(stopped.intermediate_values) == [1, 2]
    child = queue_resume(study, cfg, 0)
    rows = [(r["trial"], r["param"], r["status"], r["carried_to"]) for r in change_rows(study.storage, study.id)]
    assert rows == [(0, "lr", "carried", child), (0, "stop", "applied", None), (child, "lr", "pending", None)]
    done = train_queued(study, cfg, child).trial
    assert done.state == TrialState.COMPLETE and sorted(done.intermediate_values) == [1, 2, 3]
    taken = [(r["epoch"], r["old"], r["new"], r["status"]) for r in change_rows(study.storage, study.id, child)]
    assert taken == [(2, 0.01, 0.02, "applied")]  # epoch 3 trained with it, as asked


def test_the_live_view_says_a_stop_stopped_the_run_not_that_a_setting_changed(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    stopped = train_queued(study, cfg, queue_new(study, cfg), on_epoch=ask(study, {}, stop_at=1)).trial
    lines = change_lines(study.storage.get_param_changes(study.id, 0), stopped)
    assert lines == ["after epoch 2: stopped (user)"]  # was "stop None -> True (user)"
