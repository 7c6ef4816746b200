"""OptunaSearchCV is the kind of estimator it searches, as scikit-learn's searches are."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import load_digits
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression, Ridge

import nntune
from nntune.integration import OptunaSearchCV


def test_a_classifiers_search_is_a_classifier_and_votes() -> None:
    x, y = load_digits(return_X_y=True)
    search = OptunaSearchCV(LogisticRegression(max_iter=100),
                            {"C": nntune.distributions.FloatDistribution(0.01, 1.0, log=True)}, n_trials=2, cv=2,
                            random_state=0)
    assert is_classifier(search) and not is_regressor(search)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LogisticRegression's convergence warnings
        # Was: "The estimator OptunaSearchCV should be a classifier."
        vote = VotingClassifier([("search", search)], voting="soft").fit(x[:400], y[:400])
    assert np.array_equal(vote.predict(x[400:450]), vote.estimators_[0].predict(x[400:450]))


def test_a_regressors_search_is_a_regressor() -> None:
    search = OptunaSearchCV(Ridge(), {"alpha": nntune.distributions.FloatDistribution(0.1, 1.0)})
    assert is_regressor(search) and not is_classifier(search)


@pytest.mark.filterwarnings("error")
def test_the_tags_are_read_without_a_warning() -> None:
    from sklearn.utils import get_tags

    assert get_tags(OptunaSearchCV(LogisticRegression(), {})).estimator_type == "classifier"
