"""Reading a config file: YAML 1.2's numbers, and a key given twice named by its dotted path."""

from __future__ import annotations

import pytest

from nntune.config import load_config
from nntune.config_files import load_yaml_text
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("text, value", [
    ("1e-3", 1e-3), ("5E-4", 5e-4), ("1e5", 1e5), ("-2e-2", -2e-2), ("1.5e3", 1.5e3), (".5e-1", 0.05),
    ("1.0e-3", 1e-3), ("3", 3), ("0.1", 0.1), ("e5", "e5"), ("1e", "1e"), ("v1e3", "v1e3"), ("'1e-3'", "1e-3"),
])
def test_a_number_with_an_exponent_is_a_number(text, value):
    got = load_yaml_text(f"x: {text}")["x"]
    assert got == value and type(got) is type(value)


def test_fixed_values_priors_and_enqueued_points_written_1e_3_are_numbers(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "space:\n"
        "  lr: {type: float, low: 1e-5, high: 1e-1, log: true, prior: 1e-3}\n"
        "  weight_decay: {type: choice, values: [0, 1e-5, 1e-4]}\n"
        "search: {enqueue: [{lr: 3e-4}]}\n"
        "fixed: {epochs: 2, eps: 1e-8}\n")
    cfg = load_config(tmp_path / "c.yaml")
    assert cfg.fixed["eps"] == 1e-8 and cfg.priors() == {"lr": 1e-3}
    assert cfg.search.enqueue == [{"lr": 3e-4}] and cfg.space["weight_decay"].values == [0, 1e-5, 1e-4]


def test_set_reads_1e_3_as_a_number(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("space: {}\nfixed: {epochs: 1}\n")
    code, out, err = call_cli("tune", "c.yaml", "--dry-run", "--json", "--set", "fixed.lr=1e-3")
    assert code == 0, err
    assert '"lr": 0.001' in out


@pytest.mark.parametrize("text, line", [
    ("study: a\nstudy: b\n", "study: c.yaml: given twice (lines 1 and 2); keep one"),
    ("task:\n  data: digits\n  data: wine\n", "task.data: c.yaml: given twice (lines 2 and 3); keep one"),
    ("space: {lr: {type: float, low: 0.1, high: 0.2}, lr: {type: int, low: 1, high: 2}}\n",
     "space.lr: c.yaml: given twice (line 1, columns 9 and 49); keep one"),
    ("search:\n  enqueue:\n    - {lr: 0.01}\n    - {lr: 0.01, lr: 0.02}\n",
     "search.enqueue[1].lr: c.yaml: given twice (line 4, columns 8 and 18); keep one"),
])
def test_a_key_given_twice_is_named_by_its_path(tmp_path, monkeypatch, text, line):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config("c.yaml")
    assert str(caught.value) == line


def test_a_merge_key_may_be_overridden_and_an_anchor_used_twice(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "space:\n"
        "  lr: &lr {type: float, low: 1e-4, high: 1e-1, log: true}\n"
        "  lr_min: {<<: *lr, low: 1e-6, high: 1e-5}\n")
    cfg = load_config(tmp_path / "c.yaml")
    assert (cfg.space["lr_min"].low, cfg.space["lr_min"].log, cfg.space["lr"].low) == (1e-6, True, 1e-4)
