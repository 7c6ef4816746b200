"""A define-by-run grid study whose ranges change between runs: no parameter is shared by
every trial any more, so the grid is unknown; it must not read as used up."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import GridSampler
from nntune.space import Space


def test_changed_range_does_not_end_the_study_after_one_trial() -> None:
    study = nntune.create_study(sampler=GridSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 1, 4), n_trials=4)
    study.optimize(lambda t: t.suggest_float("x", 5, 10, log=True) + t.suggest_int("k", 10, 12, step=2), n_trials=4)
    later = study.trials[4:]
    assert len(later) == 4
    assert all(5 <= t.params["x"] <= 10 and t.params["k"] in (10, 12) for t in later)


def test_a_grid_of_an_empty_space_is_exhausted_by_a_trial_without_parameters() -> None:
    # Unchanged: a study without parameters has one point to try.
    study = nntune.create_study(sampler=GridSampler(seed=0))
    study.optimize(lambda t: 1.0, n_trials=3)
    assert len(study.trials) == 1
    assert GridSampler(seed=0).is_exhausted(Space({}), study.trials)


@pytest.mark.parametrize("points", [0, 2.5, "x", True])
def test_points_is_checked_where_the_sampler_is_built(points: object) -> None:
    with pytest.raises(ConfigError, match="^points: must be an integer >= 1"):
        GridSampler(points=points)  # type: ignore[arg-type]


def _grid_objective(trial: nntune.Trial) -> float:
    return trial.suggest_float("x", 1, 3) + len(trial.suggest_categorical("c", ["a", "b"]))


def test_grid_value_off_the_choices_fails_the_trial_as_optuna_does() -> None:
    # Grid points in order (seed 0): (5, a), (0, a), (0, z), ... Once the study's space holds
    # c, the point with 'z' must not reach the trial as if it were a choice.
    study = nntune.create_study(sampler=GridSampler({"x": [0, 5], "c": ["a", "z"]}, seed=0))
    with pytest.warns(UserWarning, match="outside"), pytest.raises(ValueError, match="'z' is not among the choices"):
        study.optimize(_grid_objective, n_trials=4)
    assert [t.params.get("c") for t in study.trials if t.state == "complete"] == ["a", "a"]
    assert [t.state for t in study.trials][-1] == "failed"  # failed inside the objective, not left running


def test_sample_independent_checks_the_grid_value_against_the_distribution() -> None:
    from nntune.space import Choice, Float

    study = nntune.create_study(sampler=GridSampler({"c": ["z"], "x": [9.0]}, seed=0))
    trial = study.ask()
    with pytest.raises(ValueError, match="not among the choices"):
        study.sampler.sample_independent(study, trial.frozen(), "c", Choice(("a", "b")))
    with pytest.warns(UserWarning, match="outside"):
        assert study.sampler.sample_independent(study, trial.frozen(), "x", Float(0.0, 1.0)) == 9.0
