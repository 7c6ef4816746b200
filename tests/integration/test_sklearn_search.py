"""OptunaSearchCV: scikit-learn's search estimator over a study, as Optuna's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

import nntune
from nntune.exceptions import ConfigError
from nntune.integration import OptunaSearchCV
from nntune.terminator._errors import CV_SCORES_KEY
from nntune.trial import TrialState


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_the_best_is_what_scikit_learn_scores_and_the_search_answers_for_it(iris) -> None:
    x, y = iris
    dists = {"C": nntune.distributions.FloatDistribution(1e-3, 1e3, log=True),
             "kernel": nntune.distributions.CategoricalDistribution(["linear", "rbf"])}
    search = OptunaSearchCV(SVC(gamma="auto"), dists, n_trials=8, cv=4, random_state=0).fit(x, y)
    assert search.n_trials_ == 8 and search.n_splits_ == 4
    # The best trial's value is scikit-learn's own 4-fold mean for those parameters.
    own = cross_val_score(SVC(gamma="auto", **search.best_params_), x, y, cv=4).mean()
    assert search.best_score_ == pytest.approx(own)
    assert search.best_score_ == max(t.value for t in search.trials_)
    results = search.cv_results_
    assert {f"split{k}_test_score" for k in range(4)} <= results.keys()
    assert results["mean_test_score"][search.best_index_] == pytest.approx(search.best_score_)
    assert results["rank_test_score"][search.best_index_] == 1 and list(results["param_C"]) == \
        [t.params["C"] for t in search.trials_]
    # Refit on all the data: it predicts, and its score is the scorer's on what it is given.
    assert search.best_estimator_.get_params()["C"] == search.best_params_["C"]
    assert search.score(x, y) == pytest.approx(search.best_estimator_.score(x, y))
    assert np.array_equal(search.predict(x), search.best_estimator_.predict(x))
    assert list(search.classes_) == [0, 1, 2]
    # Each trial's fold scores are kept for the terminator's cross-validation error.
    assert all(len(t.system_attrs[CV_SCORES_KEY]) == 4 for t in search.trials_)


def test_pruning_trains_by_partial_fit_and_the_scheduler_stops_rounds(iris) -> None:
    x, y = iris
    study = nntune.create_study(direction="maximize", scheduler=nntune.schedulers.ASHA(1, 27, 3))
    dists = {"alpha": nntune.distributions.FloatDistribution(1e-6, 10.0, log=True)}
    search = OptunaSearchCV(SGDClassifier(random_state=0), dists, enable_pruning=True, max_iter=27, n_trials=12,
                            cv=3, study=study, random_state=1, return_train_score=True).fit(x, y)
    states = [t.state for t in search.trials_]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    pruned = [t for t in search.trials_ if t.state == TrialState.PRUNED]
    assert all(len(t.intermediate_values) < 27 and "mean_test_score" in t.user_attrs for t in pruned)
    complete = [t for t in search.trials_ if t.state == TrialState.COMPLETE]
    assert all(sorted(t.intermediate_values) == list(range(27)) for t in complete)
    # Each round's value is the folds' mean test score, the last one kept with the trial.
    assert all(t.intermediate_values[26] == pytest.approx(t.user_attrs["mean_test_score"]) for t in complete)
    assert all({"split2_train_score", "mean_fit_time"} <= t.user_attrs.keys() for t in search.trials_)


def test_optunas_own_distributions_are_taken(iris) -> None:
    optuna = pytest.importorskip("optuna")
    x, y = iris
    search = OptunaSearchCV(SVC(gamma="auto"), {"C": optuna.distributions.FloatDistribution(0.1, 10.0, log=True)},
                            n_trials=3, cv=3, subsample=0.5, random_state=0, refit=False).fit(x, y)
    assert all(0.1 <= t.params["C"] <= 10.0 for t in search.trials_)
    with pytest.raises(AttributeError, match="refit=False"):
        search.predict(x)


@pytest.mark.parametrize("options, field", [
    ({"enable_pruning": True}, "enable_pruning"),
    ({"subsample": 1.5}, "subsample"),
    ({"subsample": 0}, "subsample"),
    ({"max_iter": 0}, "max_iter"),
    ({"study": nntune.create_study(direction="minimize")}, "study"),
])
def test_bad_arguments_are_one_line_naming_the_argument_before_any_trial(iris, options, field) -> None:
    x, y = iris
    search = OptunaSearchCV(SVC(), {"C": nntune.distributions.FloatDistribution(0.1, 10.0)}, n_trials=2, **options)
    with pytest.raises(ConfigError, match=f"^{field}: "):
        search.fit(x, y)
    assert not hasattr(search, "study_")
