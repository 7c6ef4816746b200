"""``nntune show --trial N`` lists every change the trial was asked, with what became of
it, as ``nntune trial changes`` does: the leaderboard and the report mark those the trial
trained with, and one asked in the last epoch (never trained with) was missing."""

from __future__ import annotations

import json

from nntune.panda import open_babysit_study, queue_new, train_queued

from tests.test_panda_changes_run_ended import ask
from tests.test_panda_cli_end import config


def test_show_of_one_trial_lists_a_change_it_never_trained_with(tmp_path, call_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the table's cells on one line each
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg), on_epoch=ask(study, {1: {"lr": 0.02}, 2: {"weight_decay": 1e-3}}))

    code, out, err = call_cli("show", "--study", "panda", "--storage", cfg.storage, "--trial", "0")
    assert code == 0, err
    assert "changes while training trial 0" in out
    lr = next(line for line in out.splitlines() if "│ lr " in line)
    assert [c.strip() for c in lr.split("│")[1:-1]] == ["2", "lr", "0.01", "0.02", "user"]
    wd = next(line for line in out.splitlines() if "weight_decay" in line and "│" in line)
    assert [c.strip() for c in wd.split("│")[1:-1]] == ["not applied: the run ended after epoch 3", "weight_decay",
                                                        "-", "0.001", "user"]

    code, out, err = call_cli("show", "--study", "panda", "--storage", cfg.storage, "--trial", "0", "--json")
    assert code == 0, err
    changes = json.loads(out)["trials"][0]["changes"]
    assert [(c["param"], c["epoch"], c["status"], c["carried_to"]) for c in changes] == [
        ("lr", 2, "applied", None), ("weight_decay", 3, "dropped", None)]
    # The leaderboard's JSON keeps the marks of the curves: the changes trained with.
    code, out, err = call_cli("show", "--study", "panda", "--storage", cfg.storage, "--json")
    assert [c["param"] for c in json.loads(out)["trials"][0]["changes"]] == ["lr"]
