"""``benchmarks/multi_objective.py`` at its smallest: every method on a ZDT problem, and the
MLP problem's objective, for real."""

from __future__ import annotations

import math

import pytest
from _benchmarks import load_benchmark


def bench():
    return load_benchmark("multi_objective.py", "multi_objective_bench")


def test_the_smallest_run_prints_every_method_once_per_problem(capsys) -> None:
    mo = bench()
    mo.main(["--problems", "zdt1", "--trials", "6", "--seeds", "1"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| zdt1 |")]
    assert sorted(row.split(" | ")[1] for row in rows) == sorted(mo.METHODS)
    shares = [float(row.split(" | ")[2].split()[0]) for row in rows]
    assert max(shares) == 1.0 and all(0.0 < s <= 1.0 for s in shares)


def test_a_run_counts_the_hypervolume_of_its_trials() -> None:
    mo = bench()
    run = mo.run_one(mo.PROBLEMS["zdt2"], "random", 0, 8)
    assert 0.0 < run.hypervolume < 1.1 * 11.0 and 1 <= run.front <= 8 and run.seconds > 0


def test_the_mlp_problem_trains_a_network_and_counts_its_weights() -> None:
    from nntune.trial import FixedTrial

    trial = FixedTrial({"lr": 0.01, "optimizer": "adam", "units": 8, "layers": 1, "batch_size": 64})
    error, size = bench().mlp(trial)
    assert 0.0 <= error < 0.5  # 4 epochs of Adam learn the digits well past chance (0.9)
    assert size == pytest.approx(math.log10(64 * 8 + 8 + 8 * 10 + 10))


def test_bad_counts_are_refused(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench().main(["--trials", "1"])
    assert exit_.value.code == 2 and "--trials: needs at least 2" in capsys.readouterr().err
