"""PED-ANOVA at the edges: trials tied at the cut of the best ones are all among them (as
Optuna's quantile filter keeps every value at or below its cutoff); values that never vary,
and parameters no complete trial used, are not explained, as by the other evaluators; one
that only trials of an infinite value drew reads 0, as Optuna's."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune.importance import PedAnovaImportanceEvaluator, get_param_importances
from nntune.space import Float


def _study(rows):
    study = nntune.create_study()
    dists = {"x": Float(0.0, 1.0), "z": Float(0.0, 1.0)}
    study.add_trials(nntune.create_trial(value=v, params={"x": x, "z": z}, distributions=dists) for x, z, v in rows)
    return study


def test_trials_tied_at_the_cut_are_all_among_the_best():
    # Ten trials tie for the best value, x spread evenly among them as among the rest; the first
    # two by number happen to share an x. z alone tells the best from the rest.
    best = [(0.05, 0.1, 0.0), (0.06, 0.12, 0.0)] + [(i / 8, 0.1 + i / 100, 0.0) for i in range(8)]
    rest = [(i / 9, 0.8 + i / 100, 1.0) for i in range(10)]
    raw = PedAnovaImportanceEvaluator().evaluate(_study(best + rest))
    assert raw["z"] > 0.5 and raw["x"] < 0.1 * raw["z"]  # x's share came from splitting the tie by number


def test_values_that_never_vary_are_refused_as_by_the_other_evaluators():
    study = _study([(i / 11, 1 - i / 11, 1.0) for i in range(12)])
    with pytest.warns(UserWarning, match="whose values vary; all 12 of this study's have the value 1: every "):
        shares = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    assert shares == {name: pytest.approx(1 / len(shares)) for name in shares} and len(shares) >= 2


def test_a_parameter_no_complete_trial_used_is_left_out_as_by_the_forests():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 3:  # only a pruned trial drew it
            trial.suggest_float("pruned_only", 0, 1)
            raise nntune.TrialPruned()
        return x

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=12)
    assert set(PedAnovaImportanceEvaluator().evaluate(study)) == {"x"}
    with pytest.raises(ValueError, match="params: no complete trial used any of the parameters"):
        get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(), params=["pruned_only"])


def test_optunas_baseline_quantile_is_the_share_of_best_trials():
    rows = [(i / 19, i / 19, float(i)) for i in range(20)]
    study = _study(rows)
    assert PedAnovaImportanceEvaluator(baseline_quantile=0.3).evaluate(study) == \
        PedAnovaImportanceEvaluator(target_quantile=0.3).evaluate(study)
    with pytest.raises(ValueError, match="not both"):
        PedAnovaImportanceEvaluator(target_quantile=0.2, baseline_quantile=0.3)
    with pytest.raises(ValueError, match=r"need 0 < baseline_quantile < region_quantile <= 1, got 1.0 and 1.0"):
        PedAnovaImportanceEvaluator(baseline_quantile=1.0)


@pytest.mark.parametrize("directions", [["minimize"], ["minimize", "maximize"]])
def test_no_parameter_asked_for_is_an_empty_answer_as_from_the_other_evaluators(directions):
    study = nntune.create_study(directions=directions)
    for i in range(10):
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        study.tell(trial, [x + i] * len(directions))
    assert PedAnovaImportanceEvaluator().evaluate(study, params=[]) == {}
    assert get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(), params=[]) == {}


@pytest.mark.parametrize("directions", [["minimize"], ["minimize", "maximize"]])
def test_a_parameter_only_diverged_trials_drew_reads_0_as_optunas(directions):
    # Optuna explains every parameter a complete trial drew, even one whose trials all diverged
    # (an infinite value, left out of the comparison): it reads 0. nntune left it out, so the
    # two answered different parameters and params=[it] was refused.
    optuna = pytest.importorskip("optuna")
    ours, theirs = nntune.create_study(directions=directions), optuna.create_study(directions=directions)
    for i in range(12):
        params, values = {"x": i / 11}, [float(i * 7 % 12), float(i % 5)][:len(directions)]
        if i in (3, 4):
            params["wide"], values[-1] = 0.5, float("inf")
        ours.add_trial(nntune.create_trial(params=params, values=values,
                                           distributions={k: Float(0.0, 1.0) for k in params}))
        theirs.add_trial(optuna.trial.create_trial(
            params=params, values=values, distributions={k: optuna.distributions.FloatDistribution(0.0, 1.0)
                                                         for k in params}))
    for params in (None, ["wide"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Some regimes for parameter `wide` have less than 2 trials"
            expected = optuna.importance.PedAnovaImportanceEvaluator().evaluate(theirs, params=params)
        measured = PedAnovaImportanceEvaluator().evaluate(ours, params=params)
        assert measured == pytest.approx(expected, rel=1e-9) and set(measured) == set(expected)
    assert measured == {"wide": 0.0}


def test_a_range_too_few_trials_drew_is_left_out_with_a_warning_as_optunas():
    # "wide" is drawn from [0, 1] by two trials and from [0, 5] by one: that one is left out of
    # its importance, as Optuna's leaves it out, which warns; nntune said nothing.
    optuna = pytest.importorskip("optuna")
    ours, theirs = nntune.create_study(), optuna.create_study()
    for i in range(12):
        params, high = {"x": i / 11}, {"x": 1.0}
        if i in (0, 1, 6):
            params["wide"], high["wide"] = i / 10, 5.0 if i == 6 else 1.0
        ours.add_trial(nntune.create_trial(params=params, value=float(i * 7 % 12),
                                           distributions={k: Float(0.0, h) for k, h in high.items()}))
        theirs.add_trial(optuna.trial.create_trial(
            params=params, value=float(i * 7 % 12),
            distributions={k: optuna.distributions.FloatDistribution(0.0, h) for k, h in high.items()}))
    with pytest.warns(UserWarning, match="Some regimes for parameter `wide` have less than 2 trials"):
        expected = optuna.importance.PedAnovaImportanceEvaluator().evaluate(theirs)
    with pytest.warns(UserWarning, match="^PED-ANOVA leaves out of wide's importance 1 trial that drew it from a "
                                         "range fewer than 2 of the trials compared drew it from: ") as caught:
        measured = PedAnovaImportanceEvaluator().evaluate(ours)
    assert [w.filename for w in caught] == [__file__]  # at the line that asked, and only that warning
    assert measured == pytest.approx(expected, rel=1e-9) and measured["wide"] > 0
