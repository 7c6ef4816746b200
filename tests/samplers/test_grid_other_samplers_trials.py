"""A grid that takes over a study whose earlier trials ran with another sampler runs every
one of its points, as Optuna's: only trials the grid handed a point use one up (Optuna
counts the trials carrying its grid id). The earlier trials' values matching grid points
used those points up, so they never ran and the grid looked done early."""

from __future__ import annotations

import nntune
from nntune.samplers import GridSampler, PartialFixedSampler, RandomSampler


def _x(trial: nntune.Trial) -> float:
    return float(trial.suggest_categorical("x", [1, 2, 3]))


def test_a_grid_after_random_trials_runs_every_point(tmp_path) -> None:
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 'g.db'}", sampler=RandomSampler(seed=0))
    study.optimize(_x, n_trials=6)  # every value of x is among them
    assert {t.params["x"] for t in study.trials} == {1, 2, 3}
    study.sampler = GridSampler({"x": [1, 2, 3]}, seed=0)
    study.optimize(_x, n_trials=10)  # stops once the grid is done
    grid_trials = study.trials[6:]
    assert sorted(t.params["x"] for t in grid_trials) == [1, 2, 3]
    assert all(t.system_attrs["grid"] is True for t in grid_trials)
    assert not any("grid" in t.system_attrs for t in study.trials[:6])


def test_an_enqueued_trial_takes_no_grid_point_as_in_optuna() -> None:
    study = nntune.create_study(sampler=GridSampler({"x": [1, 2]}, seed=0))
    study.enqueue_trial({"x": 1})
    study.optimize(_x, n_trials=10)
    assert sorted(t.params["x"] for t in study.trials) == [1, 1, 2]


def test_a_grid_under_partial_fixed_still_marks_and_finishes_its_points() -> None:
    study = nntune.create_study(sampler=PartialFixedSampler({"y": 0.5}, GridSampler({"x": [1, 2, 3]}, seed=0)))
    study.optimize(lambda t: _x(t) + t.suggest_float("y", 0, 1), n_trials=10)
    assert sorted(t.params["x"] for t in study.trials) == [1, 2, 3]
