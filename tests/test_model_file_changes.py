"""A trial changed while it trained (``nntune trial set``) keeps its changes in its model
file: ``params`` stay what it started with (the study's record, Optuna's trial.params),
``final_params`` hold what its last epoch trained with and ``changes`` how it got there, so
a model file read to retrain or reproduce the model names the settings it really had. A
file of an earlier nntune, which has neither, loads as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

import nntune
from nntune.config import parse_config
from nntune.panda import open_babysit_study, queue_new, train_queued
from nntune.runner import open_study, prepare, run_tune


def config(tmp_path: Path) -> Any:
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs"), "seed": 0},
        "fixed": {"epochs": 5, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.1, "optimizer": "sgd"},
    })


def babysat(tmp_path: Path, ask_at: int | None) -> tuple[Any, Any, int]:
    """A babysat trial of 5 epochs; asked lr=0.01 and weight_decay=1e-4 during epoch ``ask_at``'s report."""
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    train_queued(study, cfg, number, on_epoch=lambda t, e, r: e == ask_at and study.set_trial_params(
        number, {"lr": 0.01, "weight_decay": 1e-4}))
    return cfg, study, number


def test_an_exported_babysat_model_names_the_changes_it_trained_with(tmp_path, call_cli):
    cfg, study, number = babysat(tmp_path, ask_at=2)
    # Asked during epoch 2's report, taken after epoch 3: epochs 4 and 5 trained at lr 0.01.
    assert [m["lr"] for m in study.storage.get_trial(study.id, number).metrics] == [0.1, 0.1, 0.1, 0.01, 0.01]
    code, out, err = call_cli("export-model", "--study", "panda", "--storage", cfg.storage, "-o",
                              str(tmp_path / "m.pt"))
    assert code == 0, err
    assert ("trial 0 changed while it trained: after epoch 3 (user) lr 0.1 -> 0.01, weight_decay 0 -> 0.0001; "
            "the file's params are its start, final_params what its last epoch trained with") in out
    model = nntune.load_model(tmp_path / "m.pt")
    assert model.params["lr"] == 0.1 and "weight_decay" not in model.params  # as the study records it
    assert model.params == dict(study.storage.get_trial(study.id, number).params)
    assert model.final_params == {**model.params, "lr": 0.01, "weight_decay": 1e-4}
    assert model.changes == [{"epoch": 3, "param": "lr", "old": 0.1, "new": 0.01, "who": "user"},
                             {"epoch": 3, "param": "weight_decay", "old": 0.0, "new": 1e-4, "who": "user"}]
    # The file tells the same history show does.
    code, out, err = call_cli("show", "--study", "panda", "--storage", cfg.storage, "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["trials"][number]["changes"] == model.changes
    code, out, err = call_cli("export-model", "--study", "panda", "--storage", cfg.storage, "-o",
                              str(tmp_path / "j.pt"), "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["changes"] == model.changes


def test_a_change_taken_as_the_run_ended_is_not_in_the_file(tmp_path, call_cli):
    cfg, study, number = babysat(tmp_path, ask_at=4)  # taken after epoch 5, the last: never trained with
    code, out, err = call_cli("export-model", "--study", "panda", "--storage", cfg.storage, "-o",
                              str(tmp_path / "m.pt"))
    assert code == 0, err
    assert "changed while it trained" not in out
    model = nntune.load_model(tmp_path / "m.pt")
    assert (model.changes, model.final_params) == ([], model.params)


def test_the_model_file_tune_writes_carries_the_changes(tmp_path):
    cfg = parse_config({"study": "changed", "storage": f"sqlite:///{tmp_path / 'c.db'}",
                        "task": {"data": "digits", "model": "mlp", "metric": "accuracy", "train_size": 0.4},
                        "search": {"trials": 1, "seed": 3}, "space": {},
                        "fixed": {"epochs": 3, "layers": 1, "units": 16, "optimizer": "sgd", "lr": 0.1,
                                  "batch_size": 64}})
    p = prepare(cfg)
    study = open_study(p)
    number = study.enqueue_trial({})
    study.set_trial_params(number, {"lr": 1e-3})  # taken at the first epoch boundary
    run_tune(p, model_file=tmp_path / "m.pt")
    model = nntune.load_model(tmp_path / "m.pt")
    assert (model.params["lr"], model.final_params["lr"]) == (0.1, 1e-3)
    assert [(c["epoch"], c["param"], c["new"]) for c in model.changes] == [(1, "lr", 1e-3)]


def test_a_file_without_the_changes_loads_as_before(tmp_path, call_cli):
    cfg, _, _ = babysat(tmp_path, ask_at=None)
    code, out, err = call_cli("export-model", "--study", "panda", "--storage", cfg.storage, "-o",
                              str(tmp_path / "m.pt"))
    assert code == 0 and "changed while it trained" not in out, err
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert (payload["changes"], payload["final_params"]) == ([], payload["params"])
    for key in ("changes", "final_params", "continued_from"):  # as an earlier nntune wrote it
        del payload[key]
    torch.save(payload, tmp_path / "old.pt")
    old, new = nntune.load_model(tmp_path / "old.pt"), nntune.load_model(tmp_path / "m.pt")
    assert (old.params, old.final_params, old.changes, old.continued_from) == (new.params, new.params, [], None)
    x = nntune.train.load_splits("digits").x_val[:4]
    assert torch.equal(old(x), new(x))


def test_a_forks_file_names_the_trial_whose_weights_it_started_from(tmp_path, call_cli):
    from nntune.control import fork_trial

    cfg, study, number = babysat(tmp_path, ask_at=2)  # lr 0.1, then 0.01 after epoch 3
    fork = fork_trial(study.storage, study.id, "panda", number, 4, {"lr": 0.005})
    train_queued(study, cfg, fork)
    code, out, err = call_cli("export-model", "--study", "panda", "--storage", cfg.storage, "--trial", str(fork),
                              "-o", str(tmp_path / "f.pt"), "--json")
    assert code == 0, err
    # Its params are its own from epoch 5 on, not its start: epochs 1-4 trained in trial 0.
    assert (f"trial {fork} started from trial {number}'s weights after epoch 4 (epochs 1-4 trained there, with "
            "that trial's settings), then changed: after epoch 4 (user) lr 0.01 -> 0.005; the file's params are "
            "what it trained with from there, final_params what its last epoch trained with") in err
    assert json.loads(out.splitlines()[-1])["continued_from"] == {"trial": number, "epoch": 4}
    model = nntune.load_model(tmp_path / "f.pt")
    assert model.continued_from == {"trial": number, "epoch": 4} and model.params["lr"] == 0.005
    code, out, err = call_cli("export-model", "--study", "panda", "--storage", cfg.storage, "--trial", str(number),
                              "-o", str(tmp_path / "p.pt"))
    assert code == 0, err
    assert nntune.load_model(tmp_path / "p.pt").continued_from is None  # trained from scratch
