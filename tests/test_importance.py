"""get_param_importances with each evaluator, on an objective whose variance shares are
known: the offset of c explains half of it, x^2 about 0.41, 3 log10(y) about 0.09."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nntune
from nntune.importance import (FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator,
                               PermutationImportanceEvaluator, get_param_importances)

OFFSET = {"a": 0.0, "b": 10.0, "c": 20.0}


@pytest.fixture(scope="module")
def study():
    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_float("y", 1e-4, 1, log=True)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return x * x + 3 * math.log10(y) + OFFSET[c]

    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=1), pruner=nntune.pruners.NopPruner())
    s.optimize(objective, n_trials=300)
    return s


@pytest.mark.parametrize("evaluator", [PermutationImportanceEvaluator(seed=0), FanovaImportanceEvaluator(seed=0)],
                         ids=lambda e: type(e).__name__)
def test_each_evaluator_finds_the_known_shares(study, evaluator):
    shares = get_param_importances(study, evaluator=evaluator)
    assert list(shares) == ["c", "x", "y"] and sum(shares.values()) == pytest.approx(1.0)
    assert shares["c"] == pytest.approx(0.50, abs=0.1) and shares["x"] == pytest.approx(0.41, abs=0.1)
    assert shares["y"] < 0.15


def test_without_normalizing_the_permutation_importances_are_the_drops_in_fit(study):
    evaluator = PermutationImportanceEvaluator(seed=0)
    raw = get_param_importances(study, evaluator=evaluator, normalize=False)
    shares = get_param_importances(study, evaluator=evaluator)
    assert sum(raw.values()) > 1.0  # shuffling c or x alone costs the forest most of its R^2
    assert list(raw) == list(shares) and raw["c"] / sum(raw.values()) == pytest.approx(shares["c"])


def test_mean_decrease_in_impurity_leans_to_the_many_valued_parameter(study):
    # Trees grown to single trials split a continuous parameter far more often than a
    # three-valued one, and each split counts: the known bias of this measure, which is why
    # it is not the default.
    shares = get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator(seed=0))
    assert sum(shares.values()) == pytest.approx(1.0) and list(shares)[-1] == "y"
    assert shares["x"] / shares["c"] > get_param_importances(study)["x"] / get_param_importances(study)["c"]


def test_fanova_raw_main_effects_are_the_variance_shares(study):
    raw = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), normalize=False)
    assert 0.85 < sum(raw.values()) <= 1.0  # main effects: the objective is additive, so nearly all
    assert list(get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), params=["y", "x"])) == \
        ["x", "y"]


def test_bad_requests(study):
    with pytest.raises(ValueError, match=r"params: \['nope'\] are not parameters"):
        get_param_importances(study, params=["nope"])
    with pytest.raises(ValueError, match="n_trees and max_depth must be at least 1"):
        FanovaImportanceEvaluator(n_trees=0)
    small = nntune.create_study()
    small.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.warns(UserWarning, match="at least 2 complete trials"):
        assert get_param_importances(small, evaluator=MeanDecreaseImpurityImportanceEvaluator()) == {"x": 1.0}

    class Constant:  # any object with Optuna's evaluate() will do
        def evaluate(self, study, params=None, *, target=None):
            return {"x": 0.0, "c": 2.0, "y": 2.0}

    assert get_param_importances(study, evaluator=Constant()) == {"c": 0.5, "y": 0.5, "x": 0.0}


def test_ped_anova_finds_what_the_best_trials_agree_on(study):
    from nntune.importance import PedAnovaImportanceEvaluator

    raw = PedAnovaImportanceEvaluator().evaluate(study)
    # For a choice the divergence is that of the smoothed frequencies, worked here from the
    # best 10% (30 of 300) against all, as Optuna smooths them: each observed choice's kernel
    # spreads one trial's worth of prior evenly over the choices besides its own 1, and one
    # more kernel, weighted as one trial, is uniform. The divergence is then scaled by the
    # squared quantile, (30 / 300)^2.
    ranked = sorted(study.trials, key=lambda t: t.value)

    def frequencies(trials):
        counts = np.array([sum(t.params["c"] == v for t in trials) for v in "abc"], dtype=float)
        seen = np.flatnonzero(counts)
        spread = 1 / (len(seen) + 1)
        kernels = [(np.full(3, spread) + np.eye(3)[j]) / (1 + 3 * spread) for j in seen]
        return (sum(counts[j] * k for j, k in zip(seen, kernels)) + np.full(3, 1 / 3)) / (len(trials) + 1)

    p_top, p_all = frequencies(ranked[:30]), frequencies(ranked)
    assert raw["c"] == pytest.approx(0.1 ** 2 * float(np.sum(p_all * (p_top / p_all - 1) ** 2)), rel=1e-6)
    assert sum(t.params["c"] == "a" for t in ranked[:30]) >= 27
    shares = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(target_quantile=0.2))
    assert set(shares) == {"c", "x", "y"} and sum(shares.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="need 0 < target_quantile < region_quantile <= 1"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.4)


@pytest.mark.parametrize("evaluator", [None, PermutationImportanceEvaluator(seed=0), FanovaImportanceEvaluator(seed=0),
                                       MeanDecreaseImpurityImportanceEvaluator(seed=0)],
                         ids=lambda e: type(e).__name__)
def test_no_parameter_asked_for_is_no_importance_as_in_optuna(study, evaluator):
    assert get_param_importances(study, evaluator=evaluator, params=[]) == {}


def test_values_that_never_vary_are_named_as_the_reason():
    flat = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    flat.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + 1.5, n_trials=10)
    for evaluator in (None, FanovaImportanceEvaluator(seed=0)):
        with pytest.warns(UserWarning, match="all 10 of this study's have the value 1.5: every parameter's "):
            assert get_param_importances(flat, evaluator=evaluator, normalize=False) == {"x": 0.0}


def test_ped_anova_gives_every_parameter_even_one_the_best_trials_left_out():
    from nntune.importance import PedAnovaImportanceEvaluator

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["deep", "wide"])
        depth = trial.suggest_int("depth", 1, 8) if kind == "deep" else 0
        return trial.suggest_float("x", 0, 1) + 10 * (kind == "deep") + depth

    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(objective, n_trials=40)
    raw = PedAnovaImportanceEvaluator().evaluate(s)
    assert set(raw) == {"kind", "depth", "x"} and raw["depth"] == 0.0  # none of the best went deep
    assert get_param_importances(s, evaluator=PedAnovaImportanceEvaluator(), params=["depth"]) == {"depth": 1.0}


def test_ped_anova_warns_that_a_target_is_explained_low_as_optuna_does(study):
    from nntune.importance import PedAnovaImportanceEvaluator

    with pytest.warns(UserWarning, match="explains what makes the target low"):
        get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(), target=lambda t: -t.value)


@pytest.mark.parametrize("given, shown", [(FanovaImportanceEvaluator, "the class FanovaImportanceEvaluator"),
                                          ("fanova", "'fanova'")])
def test_an_evaluator_that_is_no_evaluator_is_named(study, given, shown):
    with pytest.raises(TypeError, match=f"evaluator: needs an object with evaluate.*got {shown}"):
        get_param_importances(study, evaluator=given)


def test_ped_anova_off_local_compares_the_best_trials_with_the_whole_space():
    from nntune.importance import PedAnovaImportanceEvaluator

    s = nntune.create_study()
    for i in range(40):  # every trial drew x from a tenth of its range; the value does not depend on it
        s.enqueue_trial({"x": 0.45 + 0.1 * ((i * 7) % 40) / 40, "y": i / 39})
    s.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + t.suggest_float("y", 0, 1), n_trials=40)
    local = PedAnovaImportanceEvaluator().evaluate(s)
    everywhere = PedAnovaImportanceEvaluator(evaluate_on_local=False).evaluate(s)
    # Where the trials went, x's best are spread like the rest; against the whole range of
    # x, all of them sit in a tenth of it, which the search space alone does not explain.
    assert local["x"] < 0.3 * everywhere["x"] and local["x"] < 0.3 * local["y"]
    with pytest.warns(UserWarning, match="region_quantile has no effect"):
        PedAnovaImportanceEvaluator(region_quantile=0.5, evaluate_on_local=False)
