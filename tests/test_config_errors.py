"""A value that fits no member of a Union is named by its field alone, with what it may be."""

from __future__ import annotations

import pytest
import yaml

from nntune.config import DEFAULT_YAML, parse_config, read_raw
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("path, value, line", [
    ("search.population", "abc", "search.population: expected an integer or 'auto', got 'abc'"),
    ("task.data", 5, "task.data: expected a string or a mapping, got 5"),
    ("task.train_size", "abc", "task.train_size: expected a number, got 'abc'"),
    ("space.lr.low", "abc", "space.lr.low: expected a number, got 'abc'"),
    ("task.direction", "up", "task.direction: expected 'minimize' or 'maximize' or a list, got 'up'"),
    ("search.trials", "ten", "search.trials: input should be a valid integer, unable to parse string as an integer"),
    ("serach.trials", 3, "serach: unknown key; did you mean 'search'?"),
    ("colour", "red", "colour: unknown key"),
    # a top-level slip that is a section's key, or a hyperparameter, is told where it goes
    ("trails", 3, "trails: unknown key; did you mean 'search.trials'?"),
    ("sampler", "tpe", "sampler: unknown key; did you mean 'search.sampler'?"),
    ("lr", 0.1, "lr: unknown key; a hyperparameter goes in fixed (one value for every trial) or space "
                "(searched): fixed.lr or space.lr"),
    ("search.trails", 3, "search.trails: unknown key; did you mean 'trials'?"),
    ("space.lr.typ", "float", "space.lr.typ: unknown key; did you mean 'type'?"),
    ("search.terminator.improvment", "emmr", "search.terminator.improvment: unknown key; did you mean 'improvement'?"),
    ("task.constraints.params.maxi", 5, "task.constraints.params.maxi: unknown key; did you mean 'max'?"),
    ("resources.gpu", 1, "resources.gpu: unknown key; did you mean 'gpus'?"),
    # a key spelt as a list's item (--set search.enqueue[0].lr=0.1) was once taken for a type's name
    ("search.enqueue[0]", {"lr": 0.1}, "search.enqueue[0]: unknown key; did you mean 'enqueue'?"),
    ("task.metric[0]", "accuracy", "task.metric[0]: unknown key; did you mean 'metric'?"),
    ("fixed.optimiser", "adam", "fixed.optimiser: unknown hyperparameter; did you mean 'optimizer'?"),
    ("fixed.learning_rate", 0.1, "fixed.learning_rate: unknown hyperparameter; did you mean 'lr'?"),
    ("fixed.colour", 1, "fixed.colour: unknown hyperparameter"),
    ("space.lr", 5, "space.lr: expected a mapping, got 5"),
    ("task", "digits", "task: expected a mapping, got 'digits'"),
    ("task.split", "abc", "task.split: expected a list, got 'abc'"),
    ("task.split", [0.6, "x", 0.2],
     "task.split[1]: input should be a valid number, unable to parse string as a number"),
    ("search.enqueue", [{"lr": 0.01}, 5], "search.enqueue[1]: expected a mapping, got 5"),
    ("space", {1: {"type": "int", "low": 1, "high": 2}}, "space: key 1 is not a name; write it as text"),
    ("space.momentum.when.optimizer", [],
     "space.momentum.when.optimizer: an empty list; give the values of optimizer under which momentum is searched"),
    ("space.momentum.step", 0.01, "space.momentum.step: not used by a beta; use a float with step for a grid"),
    ("space.optimizer.log", True, "space.optimizer.log: not used by a choice (its values are drawn alike)"),
    ("task.metric", ["accuracy", 5], "task.metric[1]: input should be a valid string"),
    ("task.direction", ["maximise"], "task.direction[0]: input should be 'minimize' or 'maximize'"),
    ("storage", "", "storage: expected a URL such as sqlite:///nntune.db, or memory, got ''"),
    ("storage", "sqlite:nntune.db",
     "storage: expected a URL such as sqlite:///nntune.db, or memory, got 'sqlite:nntune.db'"),
])
def test_one_line_names_the_field(path, value, line):
    raw = read_raw(None)
    if path == "space.lr.typ":  # the typo in place of the key it misspells
        del raw["space"]["lr"]["type"]
    node = raw
    for key in path.split(".")[:-1]:
        node = node.setdefault(key, {})
    node[path.split(".")[-1]] = value
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, "test")
    assert str(caught.value) == line


def test_the_cli_says_it_in_one_line_and_writes_nothing(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 'x.db'}"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    code, out, err = call_cli("tune", "c.yaml", "--executor", "population", "--population", "many")
    assert code == 2 and out == ""
    assert err == "nntune: error: search.population: expected an integer or 'auto', got 'many'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_a_misspelt_choice_is_named_before_a_condition_it_leaves_impossible():
    raw = read_raw(None)
    raw["space"]["optimizer"]["values"] = ["sgd", "adamm"]  # momentum's condition names "momentum"
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, "test")
    assert str(caught.value).startswith("space.optimizer.values: unknown optimizer 'adamm'; choose from sgd")


def test_dry_run_refuses_a_storage_that_is_no_url(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("storage: nntune.db\nspace: {}\n")
    code, out, err = call_cli("tune", "c.yaml", "--dry-run")
    assert (code, out) == (2, "")
    assert err == "nntune: error: storage: expected a URL such as sqlite:///nntune.db, or memory, got 'nntune.db'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]
