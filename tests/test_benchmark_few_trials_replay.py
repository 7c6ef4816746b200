"""benchmarks/few_trials_replay.py: simulated studies on constructed recorded curves."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np

from nntune.schedulers import ASHA, NoScheduler
from _benchmarks import load_benchmark


def load() -> ModuleType:
    return load_benchmark("few_trials_replay.py", "few_trials_replay")


def pool(bench: ModuleType) -> list:
    """Twelve configurations, finals 0.60 .. 0.93; the best three start worst."""
    out = []
    for k in range(12):
        final = 0.60 + 0.03 * k
        first = 0.2 if k >= 9 else 0.5 + 0.01 * k
        values = tuple(first + (final - first) * min(1.0, e / 3) for e in range(1, 7))
        out.append(bench.Recorded(values, (1.0,) * 6))
    return out


def test_nothing_is_stopped_without_a_scheduler_and_every_epoch_costs_its_seconds() -> None:
    bench = load()
    out = bench.replay(pool(bench), NoScheduler(), 60.0, 2, 0.93, np.random.default_rng(0))
    assert out.top_stopped == 0 and out.best_stopped == 0
    # Two workers, six one-second epochs a trial: each finishes ten trials in 60 s and starts an eleventh.
    assert len(out.finals) == 20 and out.started == 22
    assert math.isinf(out.to_target_s) or out.to_target_s % 6 == 0


def test_an_eager_first_rung_stops_the_slow_starting_best_and_the_noise_cut_spares_more() -> None:
    bench = load()
    recs = pool(bench)
    eager = [bench.replay(recs, ASHA(1, None, 3), 120.0, 2, 0.93, np.random.default_rng(s)) for s in range(5)]
    assert sum(o.best_stopped for o in eager) == sum(o.best_arrivals for o in eager) > 0
    rows = bench.summarize("eager", eager)
    assert rows["top_stopped"] > 0.9 and math.isinf(rows["to_target_s"])
    late = [bench.replay(recs, ASHA(3, None, 3), 120.0, 2, 0.93, np.random.default_rng(s)) for s in range(5)]
    assert bench.summarize("grace 3", late)["top_stopped"] < rows["top_stopped"]


def test_the_table_from_a_recorded_file(tmp_path: Path, capsys) -> None:
    bench = load()
    path = tmp_path / "curves.jsonl"
    rows = [{"values": list(r.values), "cpu_s": list(r.seconds), "wall_s": list(r.seconds)} for r in pool(bench)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = bench.main(["--file", str(path), "--replays", "3", "--budget", "40",
                      "--rules", "none", "asha g1"])
    assert set(out) == {"none", "asha g1"} and out["none"]["top_stopped"] == 0
    assert "12 full curves of 6 epochs" in capsys.readouterr().out


def test_a_cost_aware_rule_reads_the_simulated_seconds() -> None:
    """Four configurations of twelve cost 20 s an epoch; by time they meet the rungs after
    one epoch against the cheap ones' later epochs, so they stop sooner and more trials
    start than by epochs alone; and the unjudged cap has the simulated budget."""
    bench = load()
    recs = [bench.Recorded(r.values, (20.0,) * 6 if k % 3 == 0 else r.seconds) for k, r in enumerate(pool(bench))]

    def started(rule: ASHA) -> int:
        return sum(bench.replay(recs, rule, 200.0, 2, 0.93, np.random.default_rng(s)).started for s in range(5))

    rule = ASHA(1, None, 3, cost_aware=True, spare_leaders=False)
    by_time = started(rule)
    assert rule.budget_seconds == 200.0
    assert by_time > started(ASHA(1, None, 3))  # the costly trials stop sooner, so more trials start
    assert "asha g1 cost spare" in bench.RULES and bench.RULES["asha g1 cost spare"]().spare_leaders
