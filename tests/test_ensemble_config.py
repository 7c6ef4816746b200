"""``nntune ensemble CONFIG --study S``: a config that is not the study's is refused, as
``nntune export-model`` refuses it, before any model is retrained or any test look recorded."""

import copy

import pytest
import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.ensemble_study import ensemble_for_study
from nntune.exceptions import ConfigError
from nntune.runner import prepare, run_tune


def test_another_studys_config_is_refused_naming_the_field(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=url)
    raw["search"].update(trials=2)
    raw["space"] = {"lr": {"type": "float", "low": 3e-3, "high": 3e-2, "log": True}}
    raw["fixed"] = {"epochs": 1, "optimizer": "adam", "units": 16, "layers": 1}
    summary = run_tune(prepare(parse_config(raw)))
    other = copy.deepcopy(raw)
    other["task"]["data"] = "diabetes"
    other["task"].update(metric="rmse", direction="minimize")
    with pytest.raises(ConfigError, match=r"^task\.data: 'diabetes' here, 'digits' in the config"):
        ensemble_for_study(url, raw["study"], top=2, config=other)
    looks = summary.storage.get_test_evaluations(summary.storage.load_study(raw["study"]).id)
    assert len(looks) == 1  # only tune's own look
    assert ensemble_for_study(url, raw["study"], top=2, config=raw).looks == 2  # its own config is taken
