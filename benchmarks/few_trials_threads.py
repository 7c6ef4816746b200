"""What ``optimize(n_jobs=N)`` buys a define-by-run objective on the CPU, and what torch's
threads per trial do to it.

The objective is mnist_cnn's from ``few_trials_tasks.py`` with a fixed configuration (16
filters, 64 hidden units, batch 64, Adam) and one epoch on 3,000 images, so every trial
does the same work. Three ways to run ``--trials`` of them, interleaved (A, B, C, A, ...)
so that drifting load favours none:

- ``1 job``: one trial at a time on torch's threads for this machine (one per core);
- ``2 jobs, share``: ``n_jobs=2``, each trial on its share of the cores (nntune's rule);
- ``2 jobs, all``: ``n_jobs=2`` with ``NNTUNE_THREADS`` set to the core count, so each
  trial runs as many threads as there are cores (what torch does when nothing sets them).

Printed: trials a second (wall clock) and CPU seconds per trial, the median over rounds,
with the load average beside every round.

    python benchmarks/few_trials_threads.py               # 3 rounds of 8 trials: ~2 min on 2 cores
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import few_trials_tasks as ft  # noqa: E402

FIXED = {"filters": 16, "hidden": 64, "dropout": 0.2, "lr": 1e-3, "batch_size": 64, "weight_decay": 1e-5,
         "optimizer": "adam"}
WAYS = ("1 job", "2 jobs, share", "2 jobs, all")


def run_way(way: str, objective: Any, trials: int, cores: int) -> tuple[float, float]:
    """(trials a second, CPU seconds a trial) of one way."""
    import nntune
    import torch

    torch.set_num_threads(cores)
    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0),
                                pruner=nntune.pruners.NopPruner())
    for _ in range(trials):
        study.enqueue_trial(FIXED)
    jobs = 1 if way == "1 job" else 2
    if way == "2 jobs, all":
        os.environ["NNTUNE_THREADS"] = str(cores)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        study.optimize(objective, n_trials=trials, n_jobs=jobs)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        os.environ.pop("NNTUNE_THREADS", None)
        torch.set_num_threads(cores)
    return trials / wall, cpu / trials


def main(argv: Sequence[str] | None = None) -> dict[str, list[tuple[float, float]]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    if args.trials < 2 or args.rounds < 1:
        ap.error("--trials must be at least 2 and --rounds at least 1")
    import nntune

    os.environ.pop("NNTUNE_THREADS", None)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    data = ft.load_mnist_5k()
    task = ft.Task("fixed_cnn", 1, 0.0, ft.objective_for(ft.cnn, 1), lambda: data)
    objective = task.make(data, nntune.TrialPruned)
    ft.warm_up()
    out: dict[str, list[tuple[float, float]]] = {w: [] for w in WAYS}
    print(f"{args.trials} trials of one epoch each, {cores} cores", flush=True)
    for r in range(args.rounds):
        order = WAYS[r % 3:] + WAYS[:r % 3]
        for way in order:
            rate, cpu = run_way(way, objective, args.trials, cores)
            out[way].append((rate, cpu))
            print(f"  round {r} {way:14s} {rate:6.3f} trials/s  {cpu:6.2f} CPU s a trial  "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    base = statistics.median(r for r, _ in out["1 job"])
    print(f"{'way':14s} {'trials/s':>9s} {'x 1 job':>8s} {'CPU s/trial':>11s}")
    for way, xs in out.items():
        rate = statistics.median(r for r, _ in xs)
        print(f"{way:14s} {rate:9.3f} {rate / base:8.2f} {statistics.median(c for _, c in xs):11.2f}")
    return out


if __name__ == "__main__":
    main()
