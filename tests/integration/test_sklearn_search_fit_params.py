"""OptunaSearchCV's fit parameters given per row (sample_weight): they follow the rows the
search uses, a subsample's and each fold's, as scikit-learn's searches split them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import cross_validate

import nntune
from nntune.integration import OptunaSearchCV
from nntune.trial import TrialState


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_sample_weight_is_subsampled_with_the_rows(digits) -> None:
    x, y = digits
    weights = np.where(y == 3, 5.0, 1.0)
    dists = {"C": nntune.distributions.FloatDistribution(0.01, 1.0, log=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LogisticRegression's convergence warnings
        search = OptunaSearchCV(LogisticRegression(max_iter=100), dists, n_trials=1, cv=3, subsample=0.5,
                                random_state=0).fit(x, y, sample_weight=weights)
        rows = search.sample_indices_
        own = cross_validate(LogisticRegression(max_iter=100, **search.best_params_), x[rows], y[rows], cv=3,
                             params={"sample_weight": weights[rows]})["test_score"]
    trial = search.trials_[0]
    # Was a failed trial (sample_weight of 1797 rows for a search on 898), and a failed fit.
    assert trial.state == TrialState.COMPLETE
    assert trial.value == pytest.approx(np.mean(own))
    assert hasattr(search, "best_estimator_")  # the refit takes every row's weight


def test_sample_weight_is_split_by_fold_under_pruning(digits) -> None:
    x, y = digits
    weights = np.where(y == 3, 5.0, 1.0)
    dists = {"alpha": nntune.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    search = OptunaSearchCV(SGDClassifier(random_state=0), dists, enable_pruning=True, max_iter=2, n_trials=1,
                            cv=3, random_state=0, refit=False, error_score="raise")
    search.fit(x, y, sample_weight=weights)  # was: partial_fit given 1797 weights for a fold of 1198 rows
    trial = search.trials_[0]
    assert trial.state == TrialState.COMPLETE and sorted(trial.intermediate_values) == [0, 1]
    # A weight counts: unweighted, the same rounds score otherwise.
    plain = OptunaSearchCV(SGDClassifier(random_state=0), dists, enable_pruning=True, max_iter=2, n_trials=1, cv=3,
                           random_state=0, refit=False, error_score="raise").fit(x, y).trials_[0]
    assert plain.params == trial.params and plain.value != pytest.approx(trial.value)
