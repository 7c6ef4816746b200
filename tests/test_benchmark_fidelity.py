"""benchmarks/fidelity.py: rank correlations on constructed curves, and its smallest run."""

from __future__ import annotations

import math
from types import ModuleType

import pytest
from _benchmarks import load_benchmark


def load() -> ModuleType:
    return load_benchmark("fidelity.py", "fidelity_bench")


def test_rung_correlations_say_where_early_values_rank_as_the_end_does() -> None:
    bench = load()
    finals = [0.1 * i for i in range(12)]
    # Epoch 1 ranks every trial as the end does; epoch 3 ranks the best quarter backwards.
    curves = [{1: f, 3: (-f if i >= 9 else f)} for i, f in enumerate(finals)]
    rows = {r.rung: r for r in bench.rung_correlations(curves, finals, [1, 3], "maximize")}
    assert rows[1].all == pytest.approx(1.0) and rows[1].top == pytest.approx(1.0)
    assert rows[3].top == pytest.approx(-1.0) and rows[3].all < 1.0 and rows[3].n_top == 3
    flipped = bench.rung_correlations(curves, [-f for f in finals], [1], "minimize")
    assert flipped[0].all == pytest.approx(-1.0)  # the rung ranks them the other way round
    assert math.isnan(bench.rung_correlations(curves[:2], finals[:2], [1], "maximize")[0].all)
    assert bench.share_reaching([0.5, 0.7, 0.9], 0.7, "maximize") == pytest.approx(2 / 3)
    assert bench.share_reaching([0.5, 0.7, 0.9], 0.7, "minimize") == pytest.approx(2 / 3)


@pytest.mark.slow
def test_smallest_run_prints_one_row_per_rung(capsys) -> None:
    rows = load().main(["--task", "digits", "--configs", "6", "--epochs", "3", "--workers", "1",
                        "--target", "0.9"])
    out = capsys.readouterr().out
    assert [r.rung for r in rows] == [1] and -1.0 <= rows[0].all <= 1.0
    assert "share reaching 0.9" in out and "seconds per full trial" in out


def test_wrong_stop_share_counts_the_best_quarter_a_first_rung_stops() -> None:
    bench = load()
    finals = [0.1 * i for i in range(12)]  # the best quarter: 9, 10, 11
    # Epoch 1 ranks the best quarter last (a noisy first epoch); epoch 2 ranks as the end.
    curves = [{1: (-f if i >= 9 else f), 2: f, 3: f} for i, f in enumerate(finals)]
    noisy = bench.wrong_stop_share(curves, finals, 1, "last", "maximize", orders=50)
    faithful = bench.wrong_stop_share(curves, finals, 2, "last", "maximize", orders=50)
    assert noisy > 0.5 and faithful < noisy
    # At epoch 2 the best so far and the mean of epochs 1 and 2 judge as well or better.
    assert bench.wrong_stop_share(curves, finals, 2, "best", "maximize", orders=50) <= noisy
    assert 0.0 <= bench.wrong_stop_share(curves, finals, 2, "smoothed", "maximize", orders=50) <= 1.0
    perfect = [{1: f} for f in finals]
    assert bench.wrong_stop_share(perfect, finals, 1, "last", "maximize", orders=50) < noisy
