"""Lab ``grid-vs-random``: 25 trials of grid and of random search."""

from nntune.labs import run_lab


def test_random_explores_25_values_grid_5():
    result = run_lab("grid-vs-random", seed=0)
    grid, rand = result.numbers["searches"]["grid"], result.numbers["searches"]["random"]
    assert grid["trials"] == rand["trials"] == 25
    assert grid["distinct_important"] == 5 and grid["distinct_unimportant"] == 5
    assert rand["distinct_important"] == 25
    assert rand["best_value"] > grid["best_value"]
    assert rand["best_distance_to_optimum"] < grid["best_distance_to_optimum"]
    assert result.held
