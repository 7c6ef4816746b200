"""OptunaSearchCV when some folds fail: the trial is worth the folds that scored, as Optuna's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import KFold, cross_validate
from sklearn.neighbors import KNeighborsClassifier

import nntune
from nntune.integration import OptunaSearchCV
from nntune.trial import TrialState


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_a_failed_fold_leaves_the_trial_the_mean_of_the_folds_that_scored(digits) -> None:
    x, y = digits
    # Five folds of 1797 rows: the first two train on 1437 rows, the others on 1438, so
    # 1438 neighbours cannot be asked in the first two (scikit-learn scores them NaN).
    dists = {"n_neighbors": nntune.distributions.IntDistribution(1438, 1438)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's FitFailedWarning-like warnings for the two folds
        search = OptunaSearchCV(KNeighborsClassifier(), dists, cv=KFold(5), n_trials=1, refit=False).fit(x, y)
        own = cross_validate(KNeighborsClassifier(n_neighbors=1438), x, y, cv=KFold(5))["test_score"]
    assert np.isnan(own[:2]).all() and not np.isnan(own[2:]).any()
    trial = search.trials_[0]
    assert trial.state == TrialState.COMPLETE  # was diverged: the mean of five folds, two NaN, is NaN
    assert trial.value == pytest.approx(np.mean(own[2:]))
    assert trial.value == pytest.approx(trial.user_attrs["mean_test_score"])
    assert search.best_score_ == pytest.approx(trial.value)


def test_a_trial_whose_every_fold_failed_has_no_value(digits) -> None:
    x, y = digits
    dists = {"n_neighbors": nntune.distributions.IntDistribution(5000, 5000)}  # more than any fold's rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = OptunaSearchCV(KNeighborsClassifier(), dists, cv=3, n_trials=1, refit=False).fit(x, y)
    trial = search.trials_[0]
    assert trial.state != TrialState.COMPLETE and trial.value is None
    assert math.isnan(trial.user_attrs["mean_test_score"])
