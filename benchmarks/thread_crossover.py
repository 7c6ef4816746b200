"""Where a second intra-op thread starts to pay: training runs of growing work per step,
each timed on 1 and on 2 torch threads, interleaved (1, 2, 1, 2, ...), medians taken.

* solo: ``fit`` of a digits MLP (2 hidden layers, batch 64) at several widths;
* stacked: ``fit_stack`` of K digits MLPs (2 x 128) at several K (a stack's step is K
  members' work).

    python benchmarks/thread_crossover.py [--repeats 3] [--epochs 2] [--units 64 128 ...] [--k 2 4 ...]

Prints per run the FLOPs of one training step (:func:`nntune.train.threads.step_flops`),
the median wall seconds on 1 and 2 threads, their ratio (above 1: two threads are faster),
the ratio of the fastest runs (the least disturbed by other work) and the load average; the crossover is where the ratio passes 1. The counts are fixed through
``NNTUNE_THREADS`` so that nntune's own size rule does not choose for them. Other processes
on the machine distort two-thread runs most: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from nntune.train.data import load_splits
from nntune.train.loop import count_outputs, fit, model_input_shape
from nntune.train.models import build_model
from nntune.train.stack_run import fit_stack
from nntune.train.threads import step_flops

BASE = {"model": "mlp", "layers": 2, "batch_size": 64, "optimizer": "momentum", "lr": 0.01, "momentum": 0.9}


def timed(threads: int, run: Callable[[], Any]) -> float:
    os.environ["NNTUNE_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> list[tuple[str, float, float, float]]:
    """Prints the table; returns its rows: run, FLOPs a step, median seconds on 1 and on 2 threads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--units", type=int, nargs="+", default=[64, 128, 256, 512, 1024],
                        help="widths of the solo MLPs")
    parser.add_argument("--k", type=int, nargs="+", default=[2, 4, 8, 16, 32], help="sizes of the stacks")
    args = parser.parse_args(argv)
    splits = load_splits("digits")
    shape, n_out = model_input_shape(splits, None), count_outputs(splits)
    runs: list[tuple[str, float, Callable[[], Any]]] = []
    for units in args.units:
        params = {**BASE, "units": units, "epochs": args.epochs}
        flops = step_flops(build_model(params, shape, n_out), shape, 64)
        runs.append((f"solo units {units}", flops, lambda p=params: fit(p, splits, device="cpu")))
    for k in args.k:
        params = {**BASE, "units": 128, "epochs": args.epochs}
        flops = k * step_flops(build_model(params, shape, n_out), shape, 64)
        runs.append((f"stack K={k} of units 128", flops,
                     lambda p=params, k=k: fit_stack([p] * k, splits, seeds=list(range(k)), device="cpu")))
    timed(1, runs[0][2])  # imports and first-call set-up, untimed
    rows: list[tuple[str, float, float, float]] = []
    print(f"{'run':26} {'MFLOP/step':>10} {'1 thread s':>11} {'2 threads s':>12} {'t1/t2':>6} {'min t1/t2':>9}  load")
    for name, flops, run in runs:
        ones, twos = [], []
        for _ in range(args.repeats):
            ones.append(timed(1, run))
            twos.append(timed(2, run))
        t1, t2 = statistics.median(ones), statistics.median(twos)
        print(f"{name:26} {flops / 1e6:>10.1f} {t1:>11.3f} {t2:>12.3f} {t1 / t2:>6.2f} {min(ones) / min(twos):>9.2f}"
              f"  {os.getloadavg()[0]:.2f}", flush=True)
        rows.append((name, flops, t1, t2))
    return rows


if __name__ == "__main__":
    main()
