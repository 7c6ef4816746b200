"""Trials per second with ``optimize(n_jobs=N)``, nntune next to Optuna.

Threads pay off when the objective releases the GIL (PyTorch kernels, I/O); the objective
here waits ``--wait`` milliseconds (as a kernel would) after drawing a float, an int and a
categorical, with each library's TPE sampler (constant liar on) in memory. It prints trials
per second per library and thread count, and nntune / Optuna (above 1: nntune is faster).

    python benchmarks/threads.py [--trials 120] [--wait 20]
"""

from __future__ import annotations

import argparse
import time
from typing import Any


def objective_for(wait_s: float) -> Any:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -5, 5)
        n = trial.suggest_int("n", 1, 8)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        time.sleep(wait_s)
        return (x - 1) ** 2 + n + (kind == "b")
    return objective


def rate(library: Any, jobs: int, trials: int, wait_s: float) -> float:
    sampler = library.samplers.TPESampler(seed=0, constant_liar=True, n_startup_trials=10)
    study = library.create_study(sampler=sampler)
    start = time.perf_counter()
    study.optimize(objective_for(wait_s), n_trials=trials, n_jobs=jobs)
    assert len(study.trials) == trials
    return trials / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[int, tuple[float, float]]:
    """Prints the table; returns trials per second, nntune's and Optuna's, by thread count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--wait", type=float, default=20.0, help="milliseconds the objective waits")
    args = parser.parse_args(argv)
    import optuna

    import nntune

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"{'threads':>7} {'nntune/s':>9} {'optuna/s':>9} {'ratio':>6}")
    rates: dict[int, tuple[float, float]] = {}
    for jobs in (1, 2, 4):
        ours = rate(nntune, jobs, args.trials, args.wait / 1000)
        theirs = rate(optuna, jobs, args.trials, args.wait / 1000)
        print(f"{jobs:>7} {ours:>9.1f} {theirs:>9.1f} {ours / theirs:>6.2f}")
        rates[jobs] = (ours, theirs)
    return rates


if __name__ == "__main__":
    main()
