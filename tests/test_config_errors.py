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
    ("serach.trials", 3, "serach: unknown key"),
])
def test_one_line_names_the_field(path, value, line):
    raw = read_raw(None)
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
