"""A parameter named in ``params`` that no complete trial used is refused, naming it, as
Optuna's evaluators refuse it, rather than left out of an answer that looks complete."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune.importance import (FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator,
                               PedAnovaImportanceEvaluator, PermutationImportanceEvaluator, get_param_importances)


@pytest.fixture(scope="module")
def study():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 4 == 0:  # only pruned trials draw "ghost"
            trial.suggest_float("ghost", 0, 1)
            raise nntune.TrialPruned()
        return x + 0.1 * trial.suggest_float("y", 0, 1)

    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(objective, n_trials=24)
    return s


EVALUATORS = [PermutationImportanceEvaluator(seed=0), FanovaImportanceEvaluator(seed=0),
              MeanDecreaseImpurityImportanceEvaluator(seed=0), PedAnovaImportanceEvaluator()]


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=lambda e: type(e).__name__)
def test_a_named_parameter_no_complete_trial_used_is_refused(study, evaluator) -> None:
    with pytest.raises(ValueError, match=r"^params: no complete trial used \['ghost'\], so their importance "
                                         r"cannot be measured$"):
        get_param_importances(study, evaluator=evaluator, params=["x", "ghost"])


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=lambda e: type(e).__name__)
def test_named_parameters_every_complete_trial_used_are_answered(study, evaluator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shares = get_param_importances(study, evaluator=evaluator, params=["y", "x"])
    assert set(shares) == {"x", "y"} and next(iter(shares)) == "x"
    assert sum(shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=lambda e: type(e).__name__)
def test_a_study_without_parameters_is_not_blamed_on_params(evaluator) -> None:
    # No params= was given: the answer must not point at one.
    s = nntune.create_study()
    s.optimize(lambda t: float(t.number), n_trials=6)
    with pytest.warns(UserWarning, match="^no complete trial of this study drew a parameter: there is none to "
                                         "explain: no parameter is answered$"):
        assert get_param_importances(s, evaluator=evaluator) == {}
