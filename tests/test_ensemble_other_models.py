"""``nntune ensemble`` says so, as ``nntune export-model`` does, when the rebuilt members do
not score the validation values their trials recorded: the config given is not the study's."""

import pytest
import yaml

import nntune
from nntune.config import DEFAULT_YAML
from nntune.ensemble_study import ensemble_for_study


@pytest.mark.slow
def test_members_that_score_other_values_than_recorded_are_warned_of(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="api", storage=url, direction="maximize", seed=0)
    study.optimize(lambda t: t.suggest_categorical("units", [4, 8]) / 1000, n_trials=2)  # not accuracies
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["fixed"] = {"epochs": 1, "optimizer": "adam", "lr": 0.01, "layers": 1}
    raw["space"] = {"units": {"type": "choice", "values": [4, 8]}}
    with pytest.warns(UserWarning, match=r"the rebuilt members do not score the validation accuracy their trials "
                                         r"recorded \(trial \d scores 0\.\d+, recorded 0\.00[48]\)"):
        result = ensemble_for_study(url, "api", top=1, config=raw)
    # The digits model the config builds (one epoch of 4 or 8 units: 0.50-0.85), not the recorded 0.008.
    assert result.single_val > 0.2
