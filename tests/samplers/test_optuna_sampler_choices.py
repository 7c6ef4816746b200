"""A sampler written for Optuna (``BaseSampler``) returns a categorical parameter's choice
itself; one that returned the choice's index had the index handed to the objective as the
value. It is refused in one line naming the parameter and the sampler, as Optuna's trial
refuses it, and the trial fails."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.distributions import CategoricalDistribution
from nntune.samplers import BaseSampler
from nntune.trial import TrialState


class IndexSampler(BaseSampler):
    """Returns index 1 for every categorical parameter, jointly or one at a time."""

    def __init__(self, relative: bool) -> None:
        self.relative = relative

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return {"act": CategoricalDistribution(["relu", "tanh"])} if self.relative else {}

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
        return {name: 1 for name in search_space}

    def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
        return 1


@pytest.mark.parametrize("relative", [False, True])
def test_an_index_returned_for_a_choice_is_refused_naming_the_parameter(relative: bool) -> None:
    study = nntune.create_study(sampler=IndexSampler(relative))
    with pytest.raises(ValueError, match=r"^act: IndexSampler returned 1, which is not among the choices "
                                         r"\['relu', 'tanh'\] \(a sampler returns the choice itself"):
        study.optimize(lambda t: float(len(t.suggest_categorical("act", ["relu", "tanh"]))), n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL] and study.trials[0].params == {}


def test_a_choice_returned_as_itself_is_taken() -> None:
    class ChoiceSampler(IndexSampler):
        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            return param_distribution.choices[1]

    study = nntune.create_study(sampler=ChoiceSampler(relative=False))
    study.optimize(lambda t: float(len(t.suggest_categorical("act", ["relu", "tanh"]))), n_trials=1)
    assert study.trials[0].params == {"act": "tanh"}
