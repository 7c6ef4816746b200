"""What must match for a config given again to rebuild the study's model and splits."""

from __future__ import annotations

import pytest
import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.config_compare import check_same_model, config_difference
from nntune.exceptions import ConfigError


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


def test_a_key_one_config_leaves_out_is_said_to_be_not_set():
    # Not Python's "None": the user wrote no such key, or the study's config had none.
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["fixed"]["dropout"] = 0.1
    with pytest.raises(ConfigError) as err:
        check_same_model(parse_config(raw), dumped())
    assert str(err.value) == ("fixed.dropout: 0.1 here, not set in the config study 'digits-mlp' was tuned with; "
                              "give that config, or none to use the stored one")
    with pytest.raises(ConfigError, match=r"^fixed.dropout: not set here, 0.1 in the config study"):
        check_same_model(parse_config(yaml.safe_load(DEFAULT_YAML)), dumped(fixed__dropout=0.1))
    with pytest.raises(ConfigError, match=r"^fixed.batchnorm: true here, false in the config study"):
        raw = yaml.safe_load(DEFAULT_YAML)
        raw["fixed"]["batchnorm"] = True
        check_same_model(parse_config(raw), dumped(fixed__batchnorm=False))


def test_a_key_an_older_version_did_not_store_is_no_difference():
    stored = dumped()
    del stored["task"]["split"]
    del stored["fixed"]
    assert config_difference(dumped(), stored) is None


def test_a_direction_left_out_agrees_with_the_metric_s_own_written_out():
    written = dumped()  # the default config writes direction: maximize for its accuracy
    left_out = dumped(task__direction=None)
    assert config_difference(left_out, written) is None and config_difference(written, left_out) is None
    assert config_difference(dumped(task__direction=["maximize"]), left_out) is None
    older = dumped()  # a study stored before a direction against the metric was refused
    older["task"]["direction"] = "minimize"
    assert config_difference(older, left_out) == ("task.direction", "minimize", "maximize")
    pareto = dumped(task__metric=["accuracy", "params"], task__direction=None)
    written = dumped(task__metric=["accuracy", "params"], task__direction=["maximize", "minimize"])
    assert config_difference(pareto, written) is None


@pytest.mark.slow  # two short tuning runs
def test_a_study_resumes_with_its_config_written_without_the_direction(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert call_cli("tune", "--trials", "1", "--set", "fixed.epochs=1", "--set", "space={}")[0] == 0
    raw = yaml.safe_load(DEFAULT_YAML)
    del raw["task"]["direction"]
    raw["fixed"]["epochs"], raw["space"], raw["search"]["trials"] = 1, {}, 2
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    code, out, err = call_cli("tune", "c.yaml")
    assert code == 0, err
