"""A grid study whose trials finish without asking any parameter (an objective that fails
first, or asks none of the grid's) ends after one trial per point, as Optuna's does,
instead of handing the same point out for ever."""

from __future__ import annotations

import nntune as optuna


def _study(objective: object, search_space: dict[str, list[object]], **kwargs: object) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.CRITICAL)
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(search_space, seed=0))
    # n_trials only bounds the test: the study stops once every point was taken.
    study.optimize(objective, n_trials=25, **kwargs)  # type: ignore[arg-type]
    return study


def test_an_objective_that_asks_nothing_takes_one_point_per_trial() -> None:
    assert len(_study(lambda trial: 0.0, {"x": [1, 2, 3]}).trials) == 3


def test_a_trial_that_fails_before_asking_uses_up_its_point() -> None:
    def objective(trial: optuna.Trial) -> float:
        raise RuntimeError("data not found")

    study = _study(objective, {"x": [1, 2]}, catch=(RuntimeError,))
    assert [t.state.name for t in study.trials] == ["FAIL", "FAIL"]


def test_a_grid_value_off_the_choices_fails_once() -> None:
    study = _study(lambda trial: float(trial.suggest_categorical("x", ["a", "b"]) == "a"), {"x": ["a", "z"]},
                   catch=(ValueError,))
    assert sorted(t.state.name for t in study.trials) == ["COMPLETE", "FAIL"]
