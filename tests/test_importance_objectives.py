"""Importance in a study of several objectives without target=, as Optuna 5.1's: PED-ANOVA
explains what brings trials near the Pareto front; the forests need a target and say so."""

from __future__ import annotations

import random
import warnings

import pytest

import nntune
from nntune.importance import (FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator,
                               PedAnovaImportanceEvaluator, PermutationImportanceEvaluator, get_param_importances)


@pytest.fixture(scope="module")
def study():
    """x sets both objectives; y barely moves the first."""
    noise = random.Random(0)
    s = nntune.create_study(directions=["minimize", "maximize"], sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: (t.suggest_float("x", 0, 1) + 0.01 * t.suggest_float("y", 0, 1),
                          -(t.params["x"] - 0.3) ** 2 + 0.01 * noise.random()), n_trials=60)
    return s


def test_ped_anova_explains_reaching_the_front_without_a_target(study) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about the target: there is none
        shares = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    assert list(shares) == ["x", "y"] and shares["x"] > 0.9 and sum(shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("evaluator", [PermutationImportanceEvaluator(seed=0), FanovaImportanceEvaluator(seed=0),
                                       MeanDecreaseImpurityImportanceEvaluator(seed=0)])
def test_the_forests_need_a_target_in_one_line(study, evaluator) -> None:
    with pytest.raises(ValueError, match="^a study of several objectives needs target= to say which number to "
                                         "explain$"):
        get_param_importances(study, evaluator=evaluator)


def test_the_default_is_ped_anova_without_a_target_as_optunas(study) -> None:
    assert get_param_importances(study) == get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())


def test_ped_anova_on_a_front_that_never_varies_says_so() -> None:
    flat = nntune.create_study(directions=["minimize", "minimize"])
    flat.optimize(lambda t: (t.suggest_float("x", 0, 1) * 0 + 1.0, 2.0), n_trials=4)
    with pytest.warns(UserWarning, match=r"^importance needs complete trials whose values vary; all 4 of this "
                                         r"study's have the values \[1.0, 2.0\]: every parameter's importance is "
                                         r"answered as 0$"):
        assert get_param_importances(flat, evaluator=PedAnovaImportanceEvaluator()) == {"x": 1.0}
    few = nntune.create_study(directions=["minimize", "minimize"])
    few.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1)
    with pytest.warns(UserWarning, match="^importance needs at least 2 complete trials whose values vary; "
                                         "this study has 1: every parameter's importance is answered as 0$"):
        assert get_param_importances(few, evaluator=PedAnovaImportanceEvaluator()) == {"x": 1.0}
