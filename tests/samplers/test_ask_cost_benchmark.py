"""``benchmarks/sampler_ask_cost.py`` runs at its smallest size: each library measured in
its own process, an older checkout's ``src`` as one more column, a table of medians."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _benchmarks import load_benchmark


@pytest.mark.slow
def test_the_smallest_run_times_each_library_on_each_storage(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_benchmark("sampler_ask_cost.py", "sampler_ask_cost")
    src = str(Path(bench.__file__).resolve().parents[1] / "src")
    median = bench.main(["--samplers", "cmaes", "nsga2", "--trials", "25", "--storages", "memory", "sqlite",
                         "--rounds", "1", "--window", "2", "--compare", f"same={src}"])
    keys = {f"{s}/25/{st}" for s in ("cmaes", "nsga2") for st in ("memory", "sqlite")}
    assert set(median) == {(lib, k) for lib in ("nntune", "same", "optuna") for k in keys}
    assert all(math.isfinite(ms) and ms > 0 for ms in median.values())
    out = capsys.readouterr().out
    assert "Milliseconds per trial" in out and "ours/opt" in out and "nsga2/25/sqlite" in out
