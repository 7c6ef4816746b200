"""``optimize`` on a study whose grid or brute-force sampler had already tried every point
runs no trial; it says so, where it returned without a word (Optuna's grid warns as it runs
a point again, and its brute-force search raises on a changed space)."""

from __future__ import annotations

import warnings

import pytest

import nntune


def _n(trial: nntune.Trial) -> float:
    return float(trial.suggest_int("n", 0, 3))


@pytest.mark.parametrize("sampler", [lambda: nntune.samplers.GridSampler({"n": [0, 1]}, seed=0),
                                     lambda: nntune.samplers.BruteForceSampler(seed=0)])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_optimize_that_ran_no_trial_because_every_point_was_tried_says_so(sampler, n_jobs):
    study = nntune.create_study(sampler=sampler())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the search that uses the points up is not warned
        study.optimize(_n, n_trials=10)
    tried = len(study.trials)
    with pytest.warns(UserWarning, match=r"^optimize ran none of the 5 trials asked for: "
                                         r"(GridSampler|BruteForceSampler) had tried every point") as caught:
        study.optimize(_n, n_trials=5, n_jobs=n_jobs)
    assert len(caught) == 1 and caught[0].filename == __file__  # once, at the caller's line
    assert len(study.trials) == tried


def test_a_brute_force_study_asked_other_parameters_is_not_left_silent():
    study = nntune.create_study(sampler=nntune.samplers.BruteForceSampler(seed=0))
    study.optimize(_n)
    with pytest.warns(UserWarning, match=r"^optimize ran none: BruteForceSampler had tried every point"):
        study.optimize(lambda t: float(t.suggest_int("m", 0, 5)))
    assert {tuple(t.params) for t in study.trials} == {("n",)}
