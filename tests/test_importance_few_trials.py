"""Importance of a study with a few complete trials (2 to 7): answered, as Optuna's is,
with a warning that so few trials rank parameters roughly; of one trial or none, Optuna's
answer (every parameter at 0, or nothing) with a warning saying why."""

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
def test_one_trial_answers_as_optuna_with_a_warning_saying_why(evaluator):
    # A script printing the importances after each trial (as Optuna 5 answers them from the
    # first) raised ValueError at its first trial.
    with pytest.warns(UserWarning, match="^importance needs at least 2 complete trials whose values vary; "
                                         "this study has 1: every parameter's importance is answered as 0$"):
        assert get_param_importances(_study(1), evaluator=evaluator) == {"x": 0.5, "y": 0.5}
    with pytest.warns(UserWarning, match="this study has 1"):
        assert get_param_importances(_study(1), evaluator=evaluator, normalize=False) == {"x": 0.0, "y": 0.0}
    with pytest.warns(UserWarning, match="this study has 0: no parameter is answered$"):
        assert get_param_importances(_study(0), evaluator=evaluator) == {}


def test_one_trial_and_none_answer_as_optunas_own():
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    for n_trials in (0, 1):
        theirs = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        theirs.optimize(lambda t: t.suggest_float("x", 0, 1) + 0.1 * t.suggest_float("y", 0, 1), n_trials=n_trials)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = optuna.importance.get_param_importances(theirs)
            ours = get_param_importances(_study(n_trials))
        assert ours == pytest.approx(expected) and set(ours) == set(expected)


def test_ped_anova_answers_zeros_when_every_trial_is_among_the_best():
    # Three trials: the best 90% are all of them, so no parameter tells them apart; Optuna
    # answers every parameter at 0 ("Target and region quantiles select the same set of
    # trials") where nntune raised ValueError; the warning says why.
    with pytest.warns(UserWarning, match="all 3 complete trials are among the best 0.9"):
        assert get_param_importances(_study(3), evaluator=PedAnovaImportanceEvaluator(target_quantile=0.9)) == \
            {"x": 0.5, "y": 0.5}
    # the best 10% and 20% of five trials are the same one
    with pytest.warns(UserWarning, match="the best 0.1 and the best 0.2 are the same 1 trial of 5 "):
        assert PedAnovaImportanceEvaluator(region_quantile=0.2).evaluate(_study(5)) == {"x": 0.0, "y": 0.0}


def _constant(n_trials: int) -> nntune.Study:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: 0 * t.suggest_float("x", 0, 1) + 0 * t.suggest_float("y", 0, 1) + 1.0,
                   n_trials=n_trials)
    return study


def _no_params(n_trials: int) -> nntune.Study:
    study = nntune.create_study()
    study.optimize(lambda t: float(t.number), n_trials=n_trials)
    return study


OWN_EVALUATORS = [nntune.importance.PermutationImportanceEvaluator(seed=0), *EVALUATORS[1:]]


@pytest.mark.parametrize("evaluator", OWN_EVALUATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("study, expected", [
    (lambda: _study(0), {}), (lambda: _study(1), {"x": 0.0, "y": 0.0}),
    (lambda: _constant(5), {"x": 0.0, "y": 0.0}), (lambda: _no_params(5), {}),
], ids=["no trial", "one trial", "values that never vary", "no parameter"])
def test_an_evaluators_own_evaluate_answers_too_little_as_optunas(evaluator, study, expected):
    # Optuna's evaluators answer these when called directly; nntune's raised ValueError.
    with pytest.warns(UserWarning, match="answered") as caught:
        assert evaluator.evaluate(study()) == expected
    assert all(w.filename == __file__ for w in caught)  # at the line that asked


def test_an_evaluators_own_evaluate_matches_optunas_on_too_little():
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    theirs_of = {"FanovaImportanceEvaluator": optuna.importance.FanovaImportanceEvaluator(seed=0),
                 "MeanDecreaseImpurityImportanceEvaluator":
                     optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0),
                 "PedAnovaImportanceEvaluator": optuna.importance.PedAnovaImportanceEvaluator()}
    for n_trials in (0, 1):
        theirs = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        theirs.optimize(lambda t: t.suggest_float("x", 0, 1) + 0.1 * t.suggest_float("y", 0, 1), n_trials=n_trials)
        for evaluator in EVALUATORS[1:]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = theirs_of[type(evaluator).__name__].evaluate(theirs)
                assert evaluator.evaluate(_study(n_trials)) == expected


def test_the_plots_still_say_why_instead_of_drawing_zeros():
    from nntune.importance import CannotExplain, measure_importances

    for evaluator in OWN_EVALUATORS:
        with pytest.raises(CannotExplain, match="this study has 1"):
            measure_importances(_study(1), evaluator=evaluator)
