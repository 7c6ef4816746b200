"""A searched ``epochs`` under ASHA, Hyperband or BOHB: every trial trained 10 epochs
(fixed.epochs's default, taken as the scheduler's largest budget and given to each trial),
whatever it drew, while its stored parameters said 48 or 4. The largest budget is now the
space's upper bound, and each trial trains the epochs it drew unless stopped."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.runner_search import budget_epochs, build_scheduler
from nntune.trial import TrialState


def config(space_epochs: dict[str, Any], scheduler: str = "asha", **options: Any) -> Any:
    return parse_config({"study": "e", "task": {"data": "iris"}, "space": {"epochs": space_epochs},
                         "search": {"trials": 4, "scheduler": scheduler, "scheduler_options": options}}, "test")


@pytest.mark.parametrize("scheduler", ["asha", "hyperband", "bohb"])
def test_the_largest_budget_is_the_searched_epochs_upper_bound(scheduler):
    cfg = config({"type": "int", "low": 2, "high": 6}, scheduler)
    built = build_scheduler(cfg)
    assert built.max_resource == 6 and budget_epochs(cfg, built) is None  # each trial keeps its own
    choices = config({"type": "choice", "values": [3, 9, 5]}, scheduler)
    assert build_scheduler(choices).max_resource == 9


def test_epochs_beyond_a_given_max_resource_are_refused_in_one_line():
    with pytest.raises(ConfigError, match=r"^space\.epochs: its trials may draw up to 60 epochs, more than asha's "
                                          r"max_resource \(27, search\.scheduler_options\), the most a trial may train$"):
        build_scheduler(config({"type": "int", "low": 40, "high": 60}, max_resource=27))
    fixed = parse_config({"study": "e", "task": {"data": "iris"}, "fixed": {"epochs": 5},
                          "search": {"scheduler": "asha", "scheduler_options": {"max_resource": 8}}}, "test")
    assert budget_epochs(fixed, build_scheduler(fixed)) == 8  # fixed epochs: the budget, as before


def test_each_trial_trains_the_epochs_it_drew(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    nntune.tune({"study": "e", "storage": url, "task": {"data": "iris"},
                 "space": {"epochs": {"type": "int", "low": 2, "high": 7}},
                 "fixed": {"early_stopping": False, "units": 8},
                 "search": {"trials": 4, "scheduler": "asha", "seed": 0}}, report=False, model_file=False)
    trials = nntune.load_study(study_name="e", storage=url).trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert complete and {t.params["epochs"] for t in trials} != {10}
    for t in complete:
        assert len(t.intermediate_values) == t.params["epochs"], (t.params, sorted(t.intermediate_values))
