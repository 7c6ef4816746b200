"""``task.augment`` is checked when the config is read, in the trainer's words: a bad entry
stops ``nntune tune`` before the data loads or a trial runs, while a parameter that fixed
or space supplies (resize's size) counts as given."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from nntune.config import parse_config
from nntune.exceptions import ConfigError


def config(augment: list, space: dict | None = None, fixed: dict | None = None) -> dict:
    return {"task": {"data": "digits", "augment": augment}, "space": space or {}, "fixed": fixed or {}}


@pytest.mark.parametrize("augment, field, problem", [
    (["hflipp"], "task.augment[0]", "unknown augmentation 'hflipp'; choose from hflip, vflip"),
    ([{"hflip": {"p": 2}}], "task.augment.hflip.p", "must be a number in [0, 1], got 2"),
    ([{"hflip": {"q": 1}}], "task.augment.hflip", "unknown parameters ['q']"),
    ([{"cifar10_train": {"size": 32}}], "task.augment[0]", "preset 'cifar10_train' takes no parameters"),
    (["resize"], "task.augment.resize.size", "resize needs a size"),
])
def test_a_bad_augment_entry_is_refused_when_the_config_is_read(augment: list, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(config(augment))
    assert caught.value.field == field and caught.value.problem.startswith(problem), str(caught.value)


@pytest.mark.parametrize("raw", [
    config(["resize", "hflip"], space={"resize.size": {"type": "choice", "values": [8, 12]}}),
    config(["resize"], space={"resize.size": {"type": "int", "low": 8, "high": 16}}),
    config(["resize"], fixed={"resize.size": 8}),
    config(["resize", "rotation"], fixed={"resize.size": 8},
           space={"rotation.degrees": {"type": "float", "low": 0, "high": 30}}),
])
def test_an_augmentation_parameter_from_fixed_or_space_counts_as_given(raw: dict) -> None:
    cfg = parse_config(raw)
    assert cfg.task.augment == raw["task"]["augment"]


@pytest.mark.parametrize("raw, field", [
    (config(["resize"], fixed={"resize.size": -1}), "fixed.resize.size"),
    (config(["resize"], space={"resize.size": {"type": "choice", "values": [0, 8]}}), "space.resize.size.values[0]"),
])
def test_a_bad_value_that_fixed_or_space_gives_is_named_there(raw: dict, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.field == field and "positive int" in caught.value.problem, str(caught.value)


def test_tune_refuses_a_bad_augment_before_the_data_loads_or_a_trial_runs(call_cli, tmp_path: Path) -> None:
    db = tmp_path / "aug.db"
    raw = {"storage": f"sqlite:///{db}",
           # the file is missing: loading the data would fail on it first
           "task": {"data": {"kind": "npz", "path": str(tmp_path / "missing.npz")}, "model": "cnn",
                    "augment": [{"hflip": {"p": 2}}]},
           "fixed": {"epochs": 1}}
    path = tmp_path / "aug.yaml"
    path.write_text(yaml.safe_dump(raw))
    code, out, err = call_cli("tune", str(path), "--trials", "1")
    assert code == 2, err
    assert err.strip().splitlines()[-1] == "nntune: error: task.augment.hflip.p: must be a number in [0, 1], got 2"
    if db.exists():  # nothing of a study was written
        with sqlite3.connect(db) as conn:
            tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
            assert "trials" not in tables or conn.execute("select count(*) from trials").fetchone()[0] == 0
