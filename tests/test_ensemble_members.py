"""The members of ``nntune ensemble``: the very models the trials' values describe."""

import pytest
import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.ensemble_study import ensemble_for_study
from nntune.runner import prepare, run_tune


def test_members_train_for_the_schedulers_budget_not_fixed_epochs(tmp_path):
    """Under ASHA with max_resource 3 and fixed.epochs 1, a complete trial trained 3 epochs:
    its rebuilt model scores its own validation value, not a 1-epoch model's."""
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=f"sqlite:///{tmp_path / 's.db'}", study="asha-ens")
    raw["search"].update(trials=2, scheduler="asha", scheduler_options={"max_resource": 3})
    raw["space"] = {"lr": {"type": "float", "low": 1e-3, "high": 3e-3, "log": True}}
    raw["fixed"] = {"epochs": 1, "optimizer": "adam", "units": 32, "layers": 1}
    summary = run_tune(prepare(parse_config(raw)))
    assert summary.best.user_attrs["epochs"] == 3
    result = ensemble_for_study(f"sqlite:///{tmp_path / 's.db'}", "asha-ens", top=1)
    assert result.members == [summary.best.number]
    assert result.single_val == pytest.approx(summary.best.value)
    assert result.single_test["accuracy"] == pytest.approx(summary.test.metrics["accuracy"])
