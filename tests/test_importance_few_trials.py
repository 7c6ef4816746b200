"""Importance of a study with a few complete trials (2 to 7): answered, as Optuna's is,
with a warning that so few trials rank parameters roughly; one trial is still refused."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune.importance import (FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator,
                               PedAnovaImportanceEvaluator, get_param_importances)

EVALUATORS = [None, FanovaImportanceEvaluator(seed=0), MeanDecreaseImpurityImportanceEvaluator(seed=0),
              PedAnovaImportanceEvaluator()]


def _study(n_trials: int) -> nntune.Study:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0.1 * t.suggest_float("y", 0, 1), n_trials=n_trials)
    return study


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_a_few_trials_give_shares_with_a_warning(evaluator):
    study = _study(5)
    with pytest.warns(UserWarning, match="importance from 5 complete trials is rough"):
        shares = get_param_importances(study, evaluator=evaluator)
    assert set(shares) == {"x", "y"} and sum(shares.values()) == pytest.approx(1.0)


def test_eight_trials_give_shares_without_that_warning():
    study = _study(8)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="importance from")
        assert set(get_param_importances(study)) == {"x", "y"}


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_one_trial_is_refused_in_one_line(evaluator):
    with pytest.raises(ValueError, match="^importance needs at least 2 complete trials whose values vary; "
                                         "this study has 1$"):
        get_param_importances(_study(1), evaluator=evaluator)


def test_ped_anova_refuses_when_every_trial_is_among_the_best():
    # Two trials: the best 10% (at least 2) are all of them, so no parameter tells them apart;
    # equal shares would read as a measurement.
    with pytest.raises(ValueError, match="all 2 complete trials are among the best 0.1"):
        get_param_importances(_study(2), evaluator=PedAnovaImportanceEvaluator())
