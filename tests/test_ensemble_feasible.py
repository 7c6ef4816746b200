"""The trials an ensemble is made of: the best complete trials that meet the study's
constraints, as its best trial is chosen; a study of several objectives has no such order."""

import pytest
import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.ensemble_study import ensemble_for_study
from nntune.exceptions import ConfigError
from nntune.runner import prepare, run_tune


def _tune(tmp_path, **changes):
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=f"sqlite:///{tmp_path / 's.db'}", study="c")
    raw["search"].update(trials=2, sampler="random")
    raw["fixed"] = {"epochs": 2, "optimizer": "adam", "lr": 0.01, "layers": 1}
    raw["space"] = {"units": {"type": "choice", "values": [4, 64]}}
    for key, value in changes.items():
        raw[key].update(value)
    return run_tune(prepare(parse_config(raw))), f"sqlite:///{tmp_path / 's.db'}"


def test_a_trial_that_breaks_a_constraint_is_no_member(tmp_path):
    # 64 units: 4810 parameters, over the bound and the more accurate; 4 units: 310, within it
    summary, url = _tune(tmp_path, task={"constraints": {"params": {"max": 1000}}},
                         search={"enqueue": [{"units": 64}, {"units": 4}]})
    assert summary.best.params["units"] == 4
    result = ensemble_for_study(url, "c", top=2)
    assert result.members == [summary.best.number]


def test_a_study_of_several_objectives_is_refused_in_one_line(tmp_path):
    _, url = _tune(tmp_path, task={"metric": ["accuracy", "params"], "direction": ["maximize", "minimize"]},
                   search={"trials": 1})
    with pytest.raises(ConfigError, match="has 2 objectives; an ensemble of the best trials needs one best value"):
        ensemble_for_study(url, "c", top=2)
