"""benchmarks/curve_extrapolation.py: replaying constructed curves, and its table from saved curves."""

from __future__ import annotations

import json
import math
from types import ModuleType

from nntune.schedulers import ASHA, CurveExtrapolation, NoScheduler
from _benchmarks import load_benchmark

E = 12


def load() -> ModuleType:
    return load_benchmark("curve_extrapolation.py", "curve_bench")


def records(bench: ModuleType) -> list:
    """Twelve configurations: levels 0.40 .. 0.95; the best three start slowly."""
    out = []
    for i in range(12):
        level = 0.4 + 0.05 * i
        rate = 0.2 if i >= 9 else 1.0
        curve = {e: level - 0.4 * math.exp(-rate * e) for e in range(1, E + 1)}
        out.append(bench.Recorded(curve, curve[E]))
    return out


def test_replay_counts_epochs_best_quarter_stops_and_the_best_found() -> None:
    bench = load()
    recs = records(bench)
    order = list(range(12))
    full = bench.replay(recs, order, NoScheduler(), "maximize")
    assert full.epochs == full.full == 12 * E and full.top_stopped == 0 and full.top == 3 and full.rank == 1
    # Worst first: ASHA at epoch 1 sees the slow starters below the fast ones and stops them.
    asha = bench.replay(recs, order, ASHA(min_resource=1, max_resource=E), "maximize")
    assert asha.epochs < full.epochs and asha.top_stopped >= 1 and asha.stopped >= asha.top_stopped
    assert full.stopped == 0
    curve = bench.replay(recs, order, CurveExtrapolation(max_resource=E), "maximize")
    assert curve.rank == 1 and curve.top_stopped == 0 and curve.decide_s


def test_the_table_from_saved_curves(tmp_path, capsys) -> None:
    bench = load()
    saved = tmp_path / "c.json"
    saved.write_text(json.dumps({"task": "made", "direction": "maximize", "records": [
        {"curve": r.curve, "final": r.final} for r in records(bench)]}))
    results = bench.main(["--curves", str(saved), "--orders", "2", "--thresholds", "0.02", "--finished-only"])
    out = capsys.readouterr().out
    assert set(results) == {"median", "asha", "curve p<0.02", "curve p<0.02 fin"}
    assert all(len(v) == 2 for v in results.values())
    assert "Task made: 12 recorded curves of 12 epochs, 2 orders" in out and "curve p<0.02" in out
