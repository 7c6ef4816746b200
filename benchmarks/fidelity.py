"""How far a task's early epochs predict its final value: what successive halving relies on.

Trains ``--configs`` random configurations of one of ``time_to_target.py``'s tasks for the
full budget each (no early stopping), through ``nntune tune``'s own path (random sampler,
``--workers`` processes on one SQLite study), then prints from the stored curves:

- the final validation values: quantiles, and the share at or above ``--target``;
- for each rung an ASHA with reduction factor 3 would judge at (epochs 1, 3, 9, ...), the
  Spearman rank correlation between the value there and the final value, over every
  configuration and over the best quarter (the ones a search must tell apart);
- the median seconds one full trial takes;
- for ASHA's first rung at epoch 1, 2 or 3 (the grace period) and each value a rung can
  compare (``last``, ``best`` so far, ``smoothed``: mean of the last two), the share of the
  best quarter of configurations (by final value) that the rung would stop: ASHA's own
  asynchronous rule (keep the best 1/3 of the values the rung holds so far), averaged over
  200 random arrival orders.

A rung whose correlation among the best quarter is low cannot tell good configurations
apart: stopping there keeps the bad ones out but chooses among the good ones by chance,
so a search gets there only by finishing many good configurations.

    python benchmarks/fidelity.py --task fashion_mnist --configs 80 --target 0.8637
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper module beside this file

import time_to_target as ttt  # noqa: E402
import time_to_target_methods as tm  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

import numpy as np  # noqa: E402

from nntune import load_study  # noqa: E402
from nntune.runner import prepare, run_tune  # noqa: E402
from nntune.schedulers._asha import promotable, rung_steps, rung_value  # noqa: E402
from nntune.schedulers._rungs import compared_curve  # noqa: E402
from nntune.trial import FrozenTrial, TrialState  # noqa: E402


COMPARED = ("last", "best", "smoothed")


@dataclass(frozen=True)
class RungRow:
    rung: int
    all: float  # Spearman rho, value at the rung vs final value, every complete trial
    top: float  # the same over the best quarter by final value
    n_top: int


def rung_correlations(curves: Sequence[dict[int, float]], finals: Sequence[float], rungs: Sequence[int],
                      direction: str) -> list[RungRow]:
    """Rank correlation of the value at each rung with the final value: 1 where the rung
    ranks the configurations as the end does (both are the same metric, so the direction
    only chooses which quarter is the best)."""
    order = sorted(range(len(finals)), key=lambda i: finals[i], reverse=direction == "maximize")
    top = order[:max(3, len(order) // 4)]
    rows = []
    for r in rungs:
        def rho(idx: Sequence[int]) -> float:
            pairs = [(curves[i][r], finals[i]) for i in idx if r in curves[i]]
            if len(pairs) < 3 or len({p[0] for p in pairs}) < 2 or len({p[1] for p in pairs}) < 2:
                return math.nan
            return float(spearmanr(*zip(*pairs))[0])
        rows.append(RungRow(r, rho(range(len(finals))), rho(top), len(top)))
    return rows


def wrong_stop_share(curves: Sequence[dict[int, float]], finals: Sequence[float], grace: int, compare: str,
                     direction: str, eta: int = 3, orders: int = 200, seed: int = 0) -> float:
    """The share of the best quarter (by final value) that ASHA's first rung at ``grace``
    epochs stops, comparing ``compare`` values; configurations arrive at the rung in random
    orders and each is kept when among the best ``max(1, n // eta)`` of the ``n`` values
    there so far (its own included), as the asynchronous rule does."""
    n = len(finals)
    top = set(sorted(range(n), key=lambda i: finals[i], reverse=direction == "maximize")[:max(1, n // 4)])
    at_rung = [rung_value(compared_curve(c, compare, direction), grace) for c in curves]  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    stopped = 0
    for _ in range(orders):
        seen: list[float] = []
        for i in rng.permutation(n):
            v = at_rung[i]
            value = math.nan if v is None else v
            seen.append(value)
            if i in top and not promotable(seen, value, eta, direction):  # type: ignore[arg-type]
                stopped += 1
    return stopped / (orders * len(top))


def share_reaching(finals: Sequence[float], target: float, direction: str) -> float:
    return sum(v == target or tm.better(v, target, direction) for v in finals) / max(1, len(finals))


def measure(task: tm.Task, configs: int, workers: int, seed: int) -> list[FrozenTrial]:
    """Every configuration trained for the full budget; the finished trials with curves."""
    with tempfile.TemporaryDirectory(prefix="fidelity-") as folder:
        search = {"sampler": "random", "scheduler": "none", "seed": seed, "trials": configs,
                  "workers": workers, "checkpoint_dir": folder}
        cfg = tm.task_config(task, f"{task.name}-fidelity-{seed}", search, f"sqlite:///{folder}/study.db")
        run_tune(prepare(cfg), evaluate_test=False)
        return load_study(cfg.study, cfg.storage).get_trials()


def main(argv: Sequence[str] | None = None) -> list[RungRow]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=list(ttt.TASKS), default="fashion_mnist")
    ap.add_argument("--configs", type=int, default=60)
    ap.add_argument("--epochs", type=int, default=None, help="the full budget (default: the task's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--target", type=float, default=None, help="report the share of configurations reaching it")
    args = ap.parse_args(argv)
    epochs = args.epochs or ttt.TASKS[args.task][0]
    task = tm.make_task(args.task, epochs, budget=math.inf)
    direction = tm.task_config(task, task.name).task.resolved_direction
    trials = [t for t in measure(task, args.configs, args.workers, args.seed)
              if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)]
    if len(trials) < 3:
        raise SystemExit(f"only {len(trials)} configurations completed: nothing to correlate")
    finals = [float(t.value) for t in trials]  # type: ignore[arg-type]
    curves = [dict(t.intermediate_values) for t in trials]
    ranked = sorted(finals, reverse=direction == "maximize")
    quantiles = {q: ranked[min(len(ranked) - 1, int(q * len(ranked)))] for q in (0.02, 0.1, 0.25, 0.5)}
    rest = args.configs - len(trials)
    print(f"\nTask {args.task}: {len(trials)} of {args.configs} random configurations completed "
          f"{epochs} epochs" + (f" ({rest} diverged or failed)" if rest else ""))
    print("final validation value, best first: "
          + ", ".join(f"top {q:.0%} {v:.4f}" for q, v in quantiles.items()))
    if args.target is not None:
        print(f"share reaching {args.target:g}: {share_reaching(finals, args.target, direction):.1%}")
    seconds = [t.duration for t in trials if t.duration is not None]
    if seconds:
        print(f"seconds per full trial: median {statistics.median(seconds):.1f}, max {max(seconds):.1f}")
    rows = rung_correlations(curves, finals, rung_steps(1, tm.HALVING, epochs), direction)
    print("\nrung (epochs)  rank corr. with final, all  among the best quarter")
    for row in rows:
        print(f"{row.rung:13d}  {row.all:26.2f}  {row.top:22.2f} (n={row.n_top})")
    print("\nshare of the best quarter stopped at ASHA's first rung (eta 3, asynchronous)")
    print("grace  " + "  ".join(f"{c:>8s}" for c in COMPARED))
    for grace in (g for g in (1, 2, 3) if g < epochs):
        shares = [wrong_stop_share(curves, finals, grace, c, direction) for c in COMPARED]
        print(f"{grace:5d}  " + "  ".join(f"{x:8.1%}" for x in shares))
    return rows


if __name__ == "__main__":
    main()
