"""What ``search.executions_per_trial`` costs: one trial of N executions (one stack of N
seeds) against N trials of one execution each (N solo ``fit`` runs), the digits MLP of the
embedded default config (2 x 128, batch 64, Adam), the built-in objective as tune runs it.

    python benchmarks/executions_per_trial.py [--executions 4] [--epochs 10] [--repeats 5]

Each repeat runs both contenders one after another, so a change in the machine's load hits
both alike; prints each one's wall seconds per repeat, their medians and the ratio, with the
load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import nntune
from nntune.builtin import load_task_splits, make_objective
from nntune.config import parse_config
from nntune.schedulers import NoScheduler


def one_run(executions: int, trials: int, epochs: int, splits: object, runs: str) -> float:
    """Wall seconds of ``trials`` trials of ``executions`` executions each (a memory study;
    the kept models go under ``runs``)."""
    cfg = parse_config({"storage": "memory", "space": {}, "task": {"data": "digits"},
                        "fixed": {"epochs": epochs, "batch_size": 64},
                        "search": {"executions_per_trial": executions, "checkpoint_dir": runs}})
    study = nntune.create_study(study_name="bench", storage="memory", direction="maximize",
                                scheduler=NoScheduler())  # every trial trains all its epochs
    objective = make_objective(cfg, cfg.build_space(), splits)
    t0 = time.perf_counter()
    for _ in range(trials):
        trial = study.ask()
        study.tell(trial, objective(trial))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    splits = load_task_splits(parse_config({"task": {"data": "digits"}}))
    print(f"load before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="nntune-bench-runs-") as runs:
        one_run(args.executions, 1, 1, splits, runs)  # warm-up: imports, first allocations
        stacked, solo = [], []
        for _ in range(args.repeats):
            stacked.append(one_run(args.executions, 1, args.epochs, splits, runs))
            solo.append(one_run(1, args.executions, args.epochs, splits, runs))
            print(f"1 trial of {args.executions} executions {stacked[-1]:.2f} s, "
                  f"{args.executions} trials of 1 {solo[-1]:.2f} s")
    a, b = statistics.median(stacked), statistics.median(solo)
    print(f"medians: {a:.2f} s against {b:.2f} s ({b / a:.2f}x); load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
