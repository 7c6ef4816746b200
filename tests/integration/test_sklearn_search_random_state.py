"""OptunaSearchCV's random_state as scikit-learn's (and Optuna's) searches read it: a seed,
a RandomState to draw from, or None for numpy's global generator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.svm import SVC

import nntune
from nntune.integration import OptunaSearchCV

DISTS = {"C": nntune.distributions.FloatDistribution(1e-3, 1e3, log=True),
         "gamma": nntune.distributions.FloatDistribution(1e-4, 1.0, log=True)}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def searched(iris, random_state) -> tuple[list[dict], list[int]]:
    x, y = iris
    search = OptunaSearchCV(SVC(), DISTS, n_trials=4, cv=3, subsample=100, refit=False,
                            random_state=random_state).fit(x, y)
    return [t.params for t in search.trials_], list(search.sample_indices_)


def test_a_random_state_object_repeats_the_search(iris) -> None:
    # Was: only the rows repeated; the study's sampler was left unseeded.
    assert searched(iris, np.random.RandomState(3)) == searched(iris, np.random.RandomState(3))


def test_none_draws_from_numpys_global_generator(iris) -> None:
    np.random.seed(3)
    first = searched(iris, None)
    np.random.seed(3)
    assert searched(iris, None) == first
    assert searched(iris, None) != first  # the generator moved on: another search


def test_a_seed_repeats_the_search(iris) -> None:
    assert searched(iris, 5) == searched(iris, 5)
