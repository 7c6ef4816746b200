"""Bad input found before anything is written: one line naming the field, exit code 2, no
traceback, no database file. Each case here once ended in a traceback, a study of failed
trials, or a silently changed value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nntune.config import parse_config, read_raw
from nntune.config_checks import is_in_memory_storage
from nntune.exceptions import ConfigError

BASE = {"study": "s1", "storage": "sqlite:///h.db",
        "task": {"data": "iris", "model": "mlp", "metric": "accuracy", "direction": "maximize"},
        "search": {"sampler": "random", "trials": 2, "seed": 0},
        "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True},
                  "units": {"type": "int", "low": 8, "high": 32}},
        "fixed": {"epochs": 2}}


def _write(tmp_path: Path, data: dict, name: str = "c.yaml") -> str:
    (tmp_path / name).write_text(yaml.safe_dump(data))
    return name


def _one_line_error(code: int, err: str, start: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith(f"nntune: error: {start}"), err
    assert "Traceback" not in err


def _nothing_written(tmp_path: Path) -> None:
    assert not list(tmp_path.glob("*.db")) and not (tmp_path / "nntune-runs").exists()


@pytest.mark.parametrize("args", [("--seed", "-1"), ("--seed", "-1", "--dry-run"),
                                  ("--set", "search.seed=-1")])
def test_a_negative_seed_is_refused_in_tune(call_cli, tmp_path, args):
    code, _, err = call_cli("tune", _write(tmp_path, BASE), *args)
    _one_line_error(code, err, "search.seed: must be an integer >= 0")
    _nothing_written(tmp_path)


def test_a_negative_seed_is_refused_in_the_config_and_in_babysit(call_cli, tmp_path):
    cfg = {**BASE, "search": {**BASE["search"], "seed": -1}}
    code, _, err = call_cli("tune", _write(tmp_path, cfg), "--dry-run")
    _one_line_error(code, err, "search.seed: must be an integer >= 0")
    code, _, err = call_cli("babysit", "--set", "task.data=iris", "--set", "search.seed=-1",
                            "--study", "b", "--storage", "sqlite:///b.db")
    _one_line_error(code, err, "search.seed: must be an integer >= 0")
    _nothing_written(tmp_path)


@pytest.mark.parametrize("storage", ["memory", "sqlite://", "sqlite:///:memory:"])
def test_worker_processes_refuse_an_in_memory_storage(call_cli, tmp_path, storage):
    code, _, err = call_cli("tune", "--workers", "2", "--storage", storage, "--set", "task.data=iris",
                            "--set", "search.trials=2", "--set", "fixed.epochs=1")
    _one_line_error(code, err, "storage: worker processes")
    assert "in-memory storage" in err


def test_one_rule_covers_every_executor_that_leaves_this_process():
    def problem(**search: object) -> str:
        with pytest.raises(ConfigError) as info:
            parse_config({"storage": "memory", "search": search})
        return str(info.value)

    assert problem(workers=2).startswith("storage: worker processes")
    assert problem(trial_timeout=30).startswith("storage: worker processes")  # one killable process
    assert problem(executor="population", workers=2).startswith("storage: population processes")
    assert problem(executor="ray").startswith("storage: the ray executor")
    parse_config({"storage": "memory", "search": {"workers": 1}})  # in this process: fine
    parse_config({"storage": "memory", "search": {"executor": "population"}})


@pytest.mark.parametrize("url, in_memory", [
    ("memory", True), ("sqlite://", True), ("sqlite:///:memory:", True), (" memory ", True),
    ("sqlite:///h.db", False), ("sqlite:////abs/h.db", False), ("postgresql://u@h/db", False),
    ("journal:///x.log", False)])
def test_in_memory_storage_urls(url, in_memory):
    assert is_in_memory_storage(url) is in_memory


def test_resuming_a_complete_trial_is_refused_and_writes_nothing(call_cli, tmp_path):
    code, _, err = call_cli("babysit", "--set", "task.data=iris", "--set", "epochs=1",
                            "--study", "p", "--storage", "sqlite:///b.db")
    assert code == 0, err

    def stored() -> list[tuple]:  # what the study holds (the file's bytes move when SQLite checkpoints its WAL)
        from nntune.storage import SQLStorage

        store = SQLStorage(f"sqlite:///{tmp_path / 'b.db'}")
        try:
            rec = store.load_study("p")
            return [(t.number, t.state, t.params, t.value, t.system_attrs) for t in store.get_trials(rec.id)] + \
                [tuple(vars(c).items()) for c in store.get_param_changes(rec.id)]
        finally:
            store.engine.dispose()

    before = stored()
    code, _, err = call_cli("babysit", "--resume", "--study", "p", "--trial", "0", "--storage", "sqlite:///b.db")
    _one_line_error(code, err, "trial: trial 0 is complete; ")
    assert stored() == before


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize("task, fixed, field", [
    ({"data": "iris", "model": "cnn"}, {"epochs": 1}, "task.model"),
    ({"data": "digits", "model": "cnn", "options": {"as_image": True}},
     {"epochs": 1, "kernel_size": [3, 3, 3, 3, 3]}, "fixed.kernel_size"),
    ({"data": "iris"}, {"epochs": 1, "optimizer": "adamw", "weight_decay_mode": "coupled"},
     "fixed.weight_decay_mode"),
    ({"data": "iris"}, {"epochs": 1, "optimizer": "nesterov", "momentum": 0.0}, "fixed.momentum"),
])
def test_a_model_that_cannot_be_built_stops_tune_before_the_study(call_cli, tmp_path, task, fixed, field, dry_run):
    cfg = {"study": "c", "storage": "sqlite:///c.db", "task": task, "search": {"trials": 1}, "fixed": fixed}
    code, _, err = call_cli("tune", _write(tmp_path, cfg), *(["--dry-run"] if dry_run else []))
    _one_line_error(code, err, f"{field}: ")
    _nothing_written(tmp_path)


@pytest.mark.parametrize("assignment, message", [
    ("search.trials=true", "search.trials: expected an integer, got true"),
    ("search.timeout=false", "search.timeout: expected a number, got false"),
    ("search.population=true", "search.population: expected an integer or auto, got true"),
    ("task.split=[0.6, true, 0.2]", "task.split: item 1: expected a number, got true"),
    ("task.constraints={params: {max: true}}", "task.constraints.params.max: expected a number, got true"),
])
def test_a_bool_is_not_taken_for_a_number(call_cli, tmp_path, assignment, message):
    code, _, err = call_cli("tune", _write(tmp_path, BASE), "--set", assignment, "--dry-run")
    _one_line_error(code, err, message)


def test_bools_stay_valid_where_the_config_takes_them():
    cfg = parse_config({"search": {"terminator": True, "default_priors": True},
                        "checkpoints": {"keep_best": False}})
    assert cfg.search.terminator is True and cfg.checkpoints.keep_best is False


@pytest.mark.parametrize("text, key", [
    ("study: s1\nstorage: sqlite:///h.db\nstudy: s2\n", "study"),
    ("task: {data: iris, data: digits}\n", "task.data"),
    ("fixed:\n  epochs: 1\n  epochs: 2\n", "fixed.epochs"),
])
def test_a_key_given_twice_is_refused(call_cli, tmp_path, text, key):
    (tmp_path / "dup.yaml").write_text(text)
    code, _, err = call_cli("tune", "dup.yaml", "--dry-run")
    _one_line_error(code, err, f"{key}: dup.yaml: given twice")
    _nothing_written(tmp_path)


def test_a_merge_key_may_still_be_overridden(tmp_path):
    (tmp_path / "m2.yaml").write_text("x: &b {epochs: 1}\nfixed:\n  <<: *b\n  epochs: 2\n")
    assert read_raw(tmp_path / "m2.yaml")["fixed"] == {"epochs": 2}


def test_dry_run_json_ends_stdout_with_one_json_line(call_cli, tmp_path):
    code, out, err = call_cli("tune", _write(tmp_path, BASE), "--dry-run", "--json")
    assert code == 0, err
    line = json.loads(out.strip().splitlines()[-1])
    assert line["dry_run"] is True and line["study"] == "s1" and line["trials"] == 2
    assert set(line["space"]["params"]) == {"lr", "units"} and line["data"]["input_shape"] == [4]
    assert "config OK" in err  # the text went to stderr
    _nothing_written(tmp_path)


@pytest.mark.slow
def test_nntunes_own_warnings_are_one_line(run_cli, tmp_path):
    result = run_cli("tune", _write(tmp_path, BASE), "--set", "task.split=[0.98, 0.01, 0.01]", "--dry-run",
                     timeout=120)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "differ in distribution" in line]
    assert len(warned) == 1 and warned[0].startswith("nntune: warning: iris: splits differ"), result.stderr
    assert "SplitDistributionWarning" not in result.stderr and ".py:" not in result.stderr
