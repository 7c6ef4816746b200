"""``benchmarks/samplers.py --shared-startup``: every method's study starts at the same
random points, so that model-based samplers are compared on what they do after them."""

from __future__ import annotations

import math

import pytest
from _benchmarks import load_benchmark


def test_shared_startup_runs_the_same_points_in_both_libraries(capsys) -> None:
    # Under its own name: its worker processes run its functions by that name.
    bench = load_benchmark("samplers.py", "samplers")
    # Every evaluation is a shared point: the two libraries' random samplers find the same best.
    median = bench.main(["--seeds", "1", "--evals", "4", "--problems", "mixed", "--methods", "random",
                         "optuna-random", "--workers", "1", "--no-timing", "--shared-startup", "4"])
    assert math.isfinite(median[("mixed", "random")])
    assert median[("mixed", "random")] == median[("mixed", "optuna-random")]
    assert "after 4 evaluations, the first 4 shared" in capsys.readouterr().out


def test_shared_startup_points_are_the_seeds_own_and_on_the_space() -> None:
    bench = load_benchmark("samplers.py", "samplers")
    space = bench.PROBLEMS["digits_mlp"].space
    first = bench.startup_points("digits_mlp", 0, 3)
    assert first == bench.startup_points("digits_mlp", 0, 3) != bench.startup_points("digits_mlp", 1, 3)
    assert all(space.contains(p) for p in first)


def test_shared_startup_below_zero_is_refused(capsys) -> None:
    bench = load_benchmark("samplers.py", "samplers")
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--shared-startup", "-1", "--no-timing"])
    assert exit_.value.code == 2
    assert "--shared-startup: must be 0 or more, got -1" in capsys.readouterr().err
