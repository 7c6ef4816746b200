"""PartialFixedSampler's fixed values as Optuna answers them: an integer parameter gets an
integer, a number out of range is kept with a warning, a bad value is one line naming it."""

from __future__ import annotations

import pytest

import nntune
from nntune.samplers import PartialFixedSampler, TPESampler


def objective(trial: nntune.Trial) -> float:
    choice = trial.suggest_categorical("c", ["a", "bb"])
    return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 1, 3) + len(choice)


def fixed_study(fixed: dict) -> nntune.Study:
    return nntune.create_study(sampler=PartialFixedSampler(fixed, TPESampler(seed=0)),
                               pruner=nntune.pruners.NopPruner())


def test_an_integer_parameter_fixed_at_a_fraction_takes_its_integer_part_with_a_warning():
    study = fixed_study({"n": 2.5})
    with pytest.warns(UserWarning, match="n: the fixed value 2.5 is not an integer; 2 is used"):
        study.optimize(objective, n_trials=3)  # trial 0 asks one at a time, later ones jointly
    assert [t.params["n"] for t in study.trials] == [2, 2, 2]
    assert all(type(t.params["n"]) is int for t in study.trials)


def test_a_fixed_value_out_of_range_is_kept_with_a_warning():
    study = fixed_study({"x": 5.0})
    with pytest.warns(UserWarning, match=r"x: the fixed value 5.0 is outside \[0, 1\]"):
        study.optimize(objective, n_trials=2)
    assert [t.params["x"] for t in study.trials] == [5.0, 5.0]


@pytest.mark.parametrize(("fixed", "message"), [({"x": "abc"}, "x: the fixed value 'abc' is not a number"),
                                                ({"c": "z"}, r"c: the fixed value 'z' is not among the choices")])
def test_a_fixed_value_that_cannot_answer_is_one_line_naming_the_parameter(fixed: dict, message: str):
    with pytest.raises(ValueError, match=message):
        fixed_study(fixed).optimize(objective, n_trials=1)


@pytest.mark.parametrize(("grid", "trials"), [({"x": [0.0, 1.0]}, 2), ({"x": [0.0, 1.0], "n": [1, 2]}, 4)])
def test_a_grid_behind_it_stops_the_study_once_its_points_are_used_as_optunas(grid: dict, trials: int):
    # The grid's stop did not pass through the wrapper: 10 trials cycling over its points.
    from nntune.samplers import GridSampler

    study = nntune.create_study(sampler=PartialFixedSampler({"n": 1}, GridSampler(grid, seed=0)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n_trials=10)
    assert len(study.trials) == trials
    assert sorted(t.params["x"] for t in study.trials) == sorted(grid["x"] * (trials // 2))
    assert {t.params["n"] for t in study.trials} == {1}
