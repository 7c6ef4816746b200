"""A finished trial added to a grid-searched study (``add_trial``: a baseline, a result
imported from elsewhere) never ran under the grid and takes none of its points: counted as
a trial that asked nothing, it used a point up, and that point of the grid never ran. A
trial that ran and failed before asking anything still takes its point, as in Optuna."""

from __future__ import annotations

import nntune
from nntune.trial import TrialState, create_trial


def _x(trial: nntune.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_a_baseline_added_without_parameters_leaves_every_grid_point_to_run() -> None:
    study = nntune.create_study(sampler=nntune.samplers.GridSampler({"x": [0.25, 0.5, 0.75]}, seed=0))
    study.add_trial(create_trial(value=3.0))
    study.add_trial(create_trial(state=TrialState.FAIL))
    study.optimize(_x, n_trials=10)
    assert sorted(t.params["x"] for t in study.trials[2:]) == [0.25, 0.5, 0.75]
    assert study.sampler.is_exhausted(study)


def test_a_trial_that_ran_and_failed_before_asking_still_takes_its_point() -> None:
    study = nntune.create_study(sampler=nntune.samplers.GridSampler({"x": [0.25, 0.5]}, seed=0))

    def broken(trial: nntune.Trial) -> float:
        raise RuntimeError("the data is not there yet")

    study.optimize(broken, n_trials=1, catch=(RuntimeError,))
    study.optimize(_x, n_trials=10)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
