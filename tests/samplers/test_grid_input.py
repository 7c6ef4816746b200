"""GridSampler's search_space checked where it is built, one line naming the parameter."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import GridSampler


@pytest.mark.parametrize(("search_space", "message"), [
    ({"x": []}, "^x: the grid's list of values is empty"),  # was an empty grid: 0 trials, no error
    ({"x": 0.1}, "^x: the grid's values must be a list, got 0.1"),  # was 'float' object is not iterable
    ({"x": "abc"}, "^x: the grid's values must be a list, got 'abc'"),  # was the grid a, b, c
    ([("x", [1])], "^search_space: must map parameter names"),
])
def test_a_grid_without_values_is_refused_in_one_line(search_space: object, message: str):
    with pytest.raises(ConfigError, match=message):
        GridSampler(search_space)  # type: ignore[arg-type]


def test_tuples_and_ranges_are_lists_of_values():
    study = nntune.create_study(sampler=GridSampler({"x": (0.0, 1.0), "n": range(2)}, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 1), n_trials=10)
    assert sorted((t.params["x"], t.params["n"]) for t in study.trials) == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]


def test_a_grid_parameter_the_objective_leaves_unasked_still_covers_the_grid():
    # filters is asked for a CNN only: an MLP trial stores none, and matched no whole point,
    # so every trial repeated the first MLP point. Optuna runs the 8 points and stops.
    def objective(trial: nntune.Trial) -> float:
        model = trial.suggest_categorical("model", ["mlp", "cnn"])
        layers = trial.suggest_int("layers", 1, 2)
        if model == "cnn":
            trial.suggest_categorical("filters", [8, 16])
        return layers

    study = nntune.create_study(sampler=GridSampler({"model": ["mlp", "cnn"], "layers": [1, 2],
                                                     "filters": [8, 16]}, seed=0))
    study.optimize(objective, n_trials=20)
    runs = sorted(tuple(t.params.values()) for t in study.trials)
    assert runs == [("cnn", 1, 8), ("cnn", 1, 16), ("cnn", 2, 8), ("cnn", 2, 16),
                    ("mlp", 1), ("mlp", 1), ("mlp", 2), ("mlp", 2)]


def test_numpy_values_are_used_up_like_pythons():
    import numpy as np

    # np.arange's int64 and np.array's str_ never matched the stored values: 20 trials of
    # one point. Optuna runs the 12 points and stops.
    study = nntune.create_study(sampler=GridSampler({"x": np.linspace(0, 1, 3), "n": np.arange(1, 3),
                                                     "c": np.array(["a", "b"])}, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3)
                   + len(t.suggest_categorical("c", ["a", "b"])), n_trials=20)
    assert len(study.trials) == 12
    assert len({tuple(t.params.values()) for t in study.trials}) == 12
    assert {type(v) for t in study.trials for v in t.params.values()} == {float, int, str}


def test_the_seed_is_the_second_argument_as_in_optuna():
    # optuna.samplers.GridSampler(search_space, seed): scripts pass it by position.
    space = {"x": [0, 1, 2, 3, 4, 5], "y": ["a", "b"]}
    orders = []
    for sampler in (GridSampler(space, 7), GridSampler(space, seed=7)):
        study = nntune.create_study(sampler=sampler)
        study.optimize(lambda t: t.suggest_int("x", 0, 5) + len(t.suggest_categorical("y", ["a", "b"])), n_trials=12)
        orders.append([(t.params["x"], t.params["y"]) for t in study.trials])
    assert orders[0] == orders[1] and len(set(orders[0])) == 12
