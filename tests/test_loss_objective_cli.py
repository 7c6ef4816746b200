"""``task.metric: loss`` from the command line: dry run, tune, show, the model files."""

from __future__ import annotations

import json

import pytest
import yaml

import nntune
from nntune.study import load_study

CONFIG = {"study": "loss", "storage": "sqlite:///s.db",
          "task": {"data": "digits", "model": "mlp", "metric": "val_loss"},
          "search": {"trials": 2, "seed": 0},
          "space": {"lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True}},
          "fixed": {"epochs": 2, "layers": 1, "units": 32}}


def write_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(CONFIG))
    return "c.yaml"


def test_the_default_config_set_to_the_loss_minimizes_it(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "task.metric=val_loss", "--dry-run", "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["directions"] == ["minimize"], err
    code, out, err = call_cli("tune", "--set", "task.metric=val_loss", "--set", "task.direction=maximize",
                              "--dry-run")
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("nntune: error: task.direction: maximize loss, where lower is better")
    code, out, err = call_cli("tune", "--set", "task.metric=val_loss", "--set", "task.direction=minimize",
                              "--dry-run")
    assert code == 0 and "config ok" in out.lower() and not (tmp_path / "nntune.db").exists()


def test_tune_show_and_the_model_file_of_a_loss_study(call_cli, tmp_path, monkeypatch):
    path = write_config(tmp_path, monkeypatch)
    code, out, err = call_cli("tune", path)
    assert code == 0, err
    assert "minimize validation loss" in out and "best trial" in out
    study = load_study("loss", "sqlite:///s.db")
    best = study.best_trial
    look = study.storage.get_test_evaluations(study.id)[-1]["metrics"]
    assert f"validation loss {best.value:.4g}" in out and "loss " in out.split("test (1):")[1]
    model = nntune.load_model(tmp_path / "models" / "loss.pt")
    assert model.meta["metric"] == "loss" and model.meta["validation"] == best.value
    assert model.meta["test"]["loss"] == look["loss"] and "accuracy" in model.meta["test"]
    code, out, err = call_cli("show", "--study", "loss", "--storage", "sqlite:///s.db")
    assert code == 0 and "minimize validation loss" in out


def test_export_model_checks_the_rebuilt_models_validation_loss(call_cli, tmp_path, monkeypatch):
    path = write_config(tmp_path, monkeypatch)
    assert call_cli("tune", path)[0] == 0
    code, out, err = call_cli("export-model", path, "-o", "m.pt")
    assert code == 0, err
    assert "written to m.pt" in out and "warning" not in err  # it scores the loss its trial recorded
    assert nntune.load_model(tmp_path / "m.pt").meta["metric"] == "loss"


def test_an_ensemble_of_a_loss_study_is_refused_before_any_model_is_rebuilt(call_cli, tmp_path, monkeypatch):
    path = write_config(tmp_path, monkeypatch)
    assert call_cli("tune", path)[0] == 0
    study = load_study("loss", "sqlite:///s.db")
    looks = len(study.storage.get_test_evaluations(study.id))
    code, out, err = call_cli("ensemble", path, "--study", "loss", "--storage", "sqlite:///s.db", "--top", "2")
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("nntune: error: task.metric: an ensemble is scored"), err
    study = load_study("loss", "sqlite:///s.db")
    assert len(study.storage.get_test_evaluations(study.id)) == looks  # the test split stayed shut


@pytest.mark.parametrize("setting, field", [
    ("fixed.loss=cross_entropy", "fixed.loss"),
    ("space={loss: {type: choice, values: [mse, cross_entropy]}}", "space.loss"),
])
def test_a_loss_the_datas_task_cannot_take_is_refused_before_the_study_opens(call_cli, tmp_path, monkeypatch,
                                                                             setting, field):
    # Every trial failed on it, one by one, after the dry run had said the config was ok.
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "task.data=diabetes", "--set", "task.metric=rmse",
                              "--set", "task.direction=minimize", "--set", setting, "--trials", "1")
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert err.startswith(f"nntune: error: {field}: 'cross_entropy' is not a regression loss"), err
    assert not (tmp_path / "nntune.db").exists()
