"""``search.executions_per_trial`` in the commands: the dry run shows it, ``show --json`` lists
each execution, babysit refuses it, and tune checks the folder its kept models go to."""

from __future__ import annotations

import json
from pathlib import Path

import nntune
from nntune.builtin_repeats import kept_value
from nntune.study import load_study


def test_the_dry_run_shows_the_executions(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "search.executions_per_trial=3", "--dry-run")
    assert code == 0, err
    assert "of 3 executions each" in " ".join(out.split())
    code, out, _ = call_cli("tune", "--set", "search.executions_per_trial=3", "--dry-run", "--json")
    assert code == 0 and json.loads(out.splitlines()[-1])["executions_per_trial"] == 3
    code, out, _ = call_cli("tune", "--dry-run")
    assert code == 0 and "executions" not in out


def test_show_lists_each_execution_of_a_trial(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--trials", "1", "--set", "fixed.epochs=1", "--set", "space={}",
                            "--set", "search.executions_per_trial=2")
    assert code == 0, err
    code, out, _ = call_cli("show", "--study", "digits-mlp", "--json")
    (row,) = json.loads(out)["trials"]
    assert len(row["executions"]) == 2 and row["value"] == sum(e["value"] for e in row["executions"]) / 2


def test_babysit_refuses_several_executions_before_the_study_is_opened(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("babysit", "--set", "search.executions_per_trial=2", "--set", "epochs=1")
    assert (code, out) == (2, "")
    assert err.startswith("nntune: error: search.executions_per_trial: babysit trains one model")
    assert not (tmp_path / "nntune.db").exists()


def test_tune_checks_the_folder_of_the_kept_models_first(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("a file, not a folder")
    code, _, err = call_cli("tune", "--trials", "1", "--set", "search.executions_per_trial=2",
                            "--set", f"search.checkpoint_dir={tmp_path / 'taken' / 'runs'}")
    assert code == 2 and err.startswith("nntune: error: search.checkpoint_dir")
    assert not (tmp_path / "nntune.db").exists()


def test_export_model_holds_the_kept_execution_to_its_own_value_not_the_mean(call_cli, tmp_path, monkeypatch):
    # The trial is worth the mean of its executions; its model is one of them, and scores
    # that one's value. Compared with the mean, export-model said the data had changed.
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--trials", "1", "--set", "fixed.epochs=1", "--set", "space={}",
                            "--set", "fixed.lr=0.01", "--set", "fixed.optimizer=sgd", "--set", "search.executions_per_trial=2")
    assert code == 0, err
    code, out, _ = call_cli("show", "--study", "digits-mlp", "--json")
    (row,) = json.loads(out)["trials"]
    values = [e["value"] for e in row["executions"]]
    assert abs(values[0] - values[1]) > 0.03 * row["value"]  # the kept one is over 1% from the mean
    code, out, err = call_cli("export-model", "-o", str(tmp_path / "kept.pt"))
    assert code == 0 and "written to" in out
    assert "warning" not in err, err
    # and says so: the file's model scores its own value, not the trial's mean
    kept = nntune.load_model(tmp_path / "kept.pt").meta["validation"]
    assert f"(validation accuracy {row['value']:.4g}, the mean of 2 executions; this model's {kept:.4g})" in out, out


def test_a_study_of_the_same_name_in_another_storage_keeps_its_own_models(call_cli, tmp_path, monkeypatch):
    # Both saved into <checkpoint_dir>/digits-mlp/trial-0.pt: the second study's model
    # replaced the first's, which export-model and the test look then read as the first's.
    monkeypatch.chdir(tmp_path)
    common = ("--trials", "1", "--set", "fixed.epochs=1", "--set", "space={}", "--set", "fixed.optimizer=sgd",
              "--set", "search.executions_per_trial=2")
    for storage, lr in (("one", "0.001"), ("two", "0.1")):
        code, _, err = call_cli("tune", "--storage", f"sqlite:///{storage}.db", *common, "--set", f"fixed.lr={lr}")
        assert code == 0, err
    paths = set()
    for storage in ("one", "two"):
        study = load_study("digits-mlp", f"sqlite:///{storage}.db")
        paths.add(study.best_trial.system_attrs["checkpoint"])
        code, _, err = call_cli("export-model", "--storage", f"sqlite:///{storage}.db", "-o", f"{storage}.pt")
        assert code == 0 and "warning" not in err, err  # the file's model scores its trial's value
        kept = nntune.load_model(tmp_path / f"{storage}.pt").meta["validation"]
        assert kept == kept_value(study.best_trial.user_attrs)
    assert len(paths) == 2 and all(Path(p).is_file() for p in paths)
