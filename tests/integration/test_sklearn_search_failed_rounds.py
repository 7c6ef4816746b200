"""OptunaSearchCV with enable_pruning: a fold whose partial_fit fails is scored error_score,
as cross_validate scores it without pruning and Optuna's rounds do."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold
from sklearn.naive_bayes import MultinomialNB

import nntune
from nntune.exceptions import ConfigError
from nntune.integration import OptunaSearchCV
from nntune.trial import TrialState

DISTS = {"alpha": nntune.distributions.FloatDistribution(0.1, 1.0)}


@pytest.fixture(scope="module")
def digits_one_row_negative():
    """Digits with row 0 negated: MultinomialNB refuses to fit it, so the four folds that
    train on it fail and fold 0, which only tests on it, scores."""
    x, y = load_digits(return_X_y=True)
    x = x.copy()
    x[0] = -x[0]
    return x, y


def search(error_score, n_trials: int = 1) -> OptunaSearchCV:
    return OptunaSearchCV(MultinomialNB(), DISTS, cv=KFold(5), enable_pruning=True, max_iter=3, n_trials=n_trials,
                          error_score=error_score, refit=False, random_state=0)


def test_failed_folds_are_error_score_and_the_trial_goes_on(digits_one_row_negative) -> None:
    x, y = digits_one_row_negative
    with pytest.warns(FitFailedWarning) as caught:
        fitted = search(0.0).fit(x, y)
    # One warning a failed fold, at its first round, not one a round.
    assert [str(w.message).split(":")[0] for w in caught] == \
        [f"fold {k} failed at round 0 and is scored error_score=0.0" for k in (1, 2, 3, 4)]
    assert "Negative values" in str(caught[0].message)
    trial = fitted.trials_[0]
    assert trial.state == TrialState.COMPLETE  # was failed, and the error stopped the search
    scores = [trial.user_attrs[f"split{k}_test_score"] for k in range(5)]
    assert scores[0] > 0.5 and scores[1:] == [0.0] * 4
    assert trial.value == pytest.approx(np.mean(scores))
    assert sorted(trial.intermediate_values) == [0, 1, 2]


def test_nan_error_score_leaves_the_folds_that_scored(digits_one_row_negative) -> None:
    x, y = digits_one_row_negative
    with pytest.warns(FitFailedWarning):
        trial = search(np.nan).fit(x, y).trials_[0]
    assert trial.state == TrialState.COMPLETE
    assert trial.value == pytest.approx(trial.user_attrs["split0_test_score"])


def test_error_score_raise_raises_the_fold_error(digits_one_row_negative) -> None:
    x, y = digits_one_row_negative
    with pytest.raises(ValueError, match="Negative values"):
        search("raise").fit(x, y)


@pytest.mark.parametrize("bad", ["ignore", None, True])
def test_error_score_is_raise_or_a_number(digits_one_row_negative, bad) -> None:
    x, y = digits_one_row_negative
    with pytest.raises(ConfigError, match="error_score: must be 'raise' or a number"):
        search(bad).fit(x, y)
