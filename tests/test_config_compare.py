"""What must match for a config given again to rebuild the study's model and splits."""

from __future__ import annotations

import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.config_compare import config_difference


def dumped(**changes):
    raw = yaml.safe_load(DEFAULT_YAML)
    for path, value in changes.items():
        section, key = path.split("__")
        raw[section][key] = value
    return parse_config(raw).model_dump(mode="json", exclude={"storage"})


def test_the_same_config_and_other_search_settings_agree():
    assert config_difference(dumped(), dumped()) is None
    assert config_difference(dumped(search__trials=50, search__sampler="tpe"), dumped()) is None


def test_the_first_difference_in_the_task_the_fixed_values_or_the_seed():
    assert config_difference(dumped(fixed__epochs=5), dumped()) == ("fixed.epochs", 5, 30)
    assert config_difference(dumped(task__train_size=0.5), dumped()) == ("task.train_size", 0.5, None)
    assert config_difference(dumped(search__seed=3), dumped()) == ("search.seed", 3, 0)
    assert config_difference(dumped(fixed__dropout=0.1), dumped()) == ("fixed.dropout", 0.1, None)
    assert config_difference(dumped(), dumped(fixed__dropout=0.1)) == ("fixed.dropout", None, 0.1)
    csv = {"kind": "csv", "path": "a.csv", "target": "y"}
    assert config_difference(dumped(task__data={**csv, "features": ["a"]}), dumped(task__data=csv)) == \
        ("task.data.features", ["a"], None)


def test_a_key_an_older_version_did_not_store_is_no_difference():
    stored = dumped()
    del stored["task"]["split"]
    del stored["fixed"]
    assert config_difference(dumped(), stored) is None
