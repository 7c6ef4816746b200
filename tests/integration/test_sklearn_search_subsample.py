"""OptunaSearchCV's subsample: the rows searched on, as Optuna's ``sample_indices_`` names them."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

import nntune
from nntune.integration import OptunaSearchCV

DISTS = {"C": nntune.distributions.FloatDistribution(1e-3, 1.0, log=True)}


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def search(**options) -> OptunaSearchCV:
    return OptunaSearchCV(LogisticRegression(max_iter=200), DISTS, n_trials=1, cv=3, random_state=0, refit=False,
                          **options)


@pytest.mark.parametrize("subsample, size", [(0.25, 449), (300, 300)])
def test_sample_indices_are_the_sorted_rows_searched_on(digits, subsample, size) -> None:
    x, y = digits
    fitted = search(subsample=subsample).fit(x, y)
    rows = fitted.sample_indices_  # was missing: Optuna's attribute
    assert len(rows) == size and len(set(rows)) == size and list(rows) == sorted(rows)
    assert rows.min() >= 0 and rows.max() < len(x)
    # The same rows on a second fit with the same seed: the subset is drawn from random_state.
    assert np.array_equal(search(subsample=subsample).fit(x, y).sample_indices_, rows)


def test_without_a_subsample_every_row_is_searched_on(digits) -> None:
    x, y = digits
    assert np.array_equal(search().fit(x, y).sample_indices_, np.arange(len(x)))
