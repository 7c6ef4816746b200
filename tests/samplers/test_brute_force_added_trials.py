"""A finished trial added to a brute-force study without parameters (``add_trial``: a
baseline) is no path of the search: its empty path ended the tree at its root, and every
later ``optimize`` ran nothing. A trial that ran and asked nothing still ends the search."""

from __future__ import annotations

import pytest

import nntune
from nntune.trial import create_trial


def _n(trial: nntune.Trial) -> float:
    return float(trial.suggest_int("n", 0, 2))


def test_a_baseline_added_first_leaves_every_combination_to_run() -> None:
    study = nntune.create_study(sampler=nntune.samplers.BruteForceSampler(seed=0))
    study.add_trial(create_trial(value=3.0))
    study.optimize(_n, n_trials=10)
    assert sorted(t.params["n"] for t in study.trials[1:]) == [0, 1, 2]


def test_an_objective_that_asks_nothing_still_ends_the_search_after_one_trial() -> None:
    study = nntune.create_study(sampler=nntune.samplers.BruteForceSampler(seed=0))
    study.optimize(lambda trial: 1.0, n_trials=5)
    assert len(study.trials) == 1
    with pytest.warns(UserWarning, match="optimize ran none"):
        study.optimize(lambda trial: 1.0, n_trials=5)
