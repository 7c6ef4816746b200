"""How much does nntune cost per trial, next to Optuna?

In one run:

1. ask + objective + tell, timed per trial for trials 1..N (default 1000) with a trivial
   objective over the same define-by-run space (a float, an int, a categorical), in memory
   and in an SQLite file, with the random and the TPE sampler of each library;
2. trials per second with 2 worker processes sharing one SQLite study (nntune's process
   pool against two Optuna processes optimizing the same stored study).

It prints milliseconds per trial over windows of the run and the ratio nntune / Optuna
(below 1 means nntune is cheaper). Goal: ratio <= 0.5. Both libraries' SQLite files run with
the same settings (WAL, synchronous=NORMAL): Optuna's own default (a rollback journal,
an fsync per commit) would cost it several times more per trial on most disks.

    python benchmarks/overhead.py [--trials 1000] [--parallel-trials 200]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

import nntune
from nntune.executors import run_processes, study_setup

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: Any) -> float:
    """Trivial, and the same code for both libraries."""
    x = trial.suggest_float("x", -10.0, 10.0)
    n = trial.suggest_int("n", 1, 64, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 2.0) ** 2 + n + (kind == "b")


def nntune_study(storage: str | None, sampler: str) -> Any:
    samplers = {"random": nntune.samplers.RandomSampler, "tpe": nntune.samplers.TPESampler}
    return nntune.create_study(storage=storage, sampler=samplers[sampler](seed=0), seed=0)


def sqlite_like_nntune(url: str) -> Any:
    """Optuna's storage on the same SQLite settings as nntune's (WAL, synchronous=NORMAL,
    a busy timeout), so the comparison is of the libraries, not of fsync counts."""
    path = url[len("sqlite:///"):]

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    return optuna.storages.RDBStorage(url, engine_kwargs={"creator": connect})


def optuna_study(storage: str | None, sampler: str) -> Any:
    samplers = {"random": optuna.samplers.RandomSampler, "tpe": optuna.samplers.TPESampler}
    store = sqlite_like_nntune(storage) if storage else None
    return optuna.create_study(storage=store, sampler=samplers[sampler](seed=0))


def one_trial(study: Any, clock: Callable[[], float]) -> float:
    start = clock()
    trial = study.ask()
    study.tell(trial, objective(trial))
    return clock() - start


def time_pair(ours: Any, theirs: Any, n: int,
              clock: Callable[[], float] = time.perf_counter) -> tuple[list[float], list[float]]:
    """Seconds per trial (ask, objective, tell) of two studies, trial k of one right after
    trial k of the other, so that load on a shared machine hits both alike."""
    a, b = [], []
    for _ in range(n):
        a.append(one_trial(ours, clock))
        b.append(one_trial(theirs, clock))
    return a, b


def windows(n: int) -> list[tuple[int, int]]:
    marks = sorted({1, min(n, 100), max(1, n // 2), n})
    out, low = [], 0
    for mark in marks:
        if mark > low:
            out.append((low, mark))
            low = mark
    return out


def window_ms(times: list[float], low: int, high: int) -> float:
    """Median milliseconds per trial in a window (robust to another process's bursts)."""
    return 1000 * statistics.median(times[low:high])


def sequential(n: int, tmp: Path) -> list[tuple[str, float, float]]:
    rows = []
    for where in ("memory", "sqlite"):
        for sampler in ("random", "tpe"):
            url = (lambda lib: None if where == "memory" else f"sqlite:///{tmp / f'{lib}-{sampler}.db'}")
            ours, theirs = time_pair(nntune_study(url("nntune"), sampler), optuna_study(url("optuna"), sampler), n)
            print(f"\n{where}, {sampler} sampler: median ms per trial (ask + objective + tell)")
            print(f"  {'trials':>12} {'nntune':>9} {'optuna':>9} {'ratio':>7}")
            for low, high in windows(n):
                a, b = window_ms(ours, low, high), window_ms(theirs, low, high)
                print(f"  {low + 1:>5}..{high:<6} {a:9.2f} {b:9.2f} {a / b:7.2f}")
            a, b = window_ms(ours, 0, n), window_ms(theirs, 0, n)
            print(f"  {'all':>12} {a:9.2f} {b:9.2f} {a / b:7.2f}   (means {1000 * statistics.mean(ours):.2f}, "
                  f"{1000 * statistics.mean(theirs):.2f})")
            rows.append((f"{where}/{sampler}", a, b))
    return rows


def _optuna_worker(url: str, name: str, n: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=sqlite_like_nntune(url),
                              sampler=optuna.samplers.RandomSampler())
    study.optimize(objective, n_trials=n)


def rate(starts: list[Any], ends: list[Any]) -> float:
    """Trials per second between the first start and the last end in storage."""
    span = (max(ends) - min(starts)).total_seconds()
    return len(ends) / span if span > 0 else float("inf")


def parallel(n: int, tmp: Path) -> tuple[float, float]:
    url = f"sqlite:///{tmp / 'nntune-parallel.db'}"
    study = nntune.create_study("parallel", url, sampler=nntune.samplers.RandomSampler(seed=0), seed=0)
    run_processes(study_setup(url, "parallel", objective), study, total=n, workers=2)
    trials = study.trials
    ours = rate([t.datetime_start for t in trials], [t.datetime_complete for t in trials])

    ourl = f"sqlite:///{tmp / 'optuna-parallel.db'}"
    optuna.create_study(study_name="parallel", storage=sqlite_like_nntune(ourl))
    procs = [mp.get_context("spawn").Process(target=_optuna_worker, args=(ourl, "parallel", n // 2))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    otrials = optuna.load_study(study_name="parallel", storage=sqlite_like_nntune(ourl)).trials
    theirs = rate([t.datetime_start for t in otrials], [t.datetime_complete for t in otrials])
    print(f"\n2 worker processes on one SQLite study, random sampler, {n} trials: trials per second")
    print(f"  nntune {ours:8.1f}   optuna {theirs:8.1f}   ratio (optuna time / nntune time) {ours / theirs:5.2f}")
    return ours, theirs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--parallel-trials", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, optuna {optuna.__version__}, nntune {nntune.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = sequential(args.trials, Path(tmp))
        ours, theirs = parallel(args.parallel_trials, Path(tmp))
    print("\nsummary: nntune per-trial overhead / Optuna's (goal <= 0.50)")
    for name, a, b in rows:
        print(f"  {name:<14} {a / b:5.2f}   ({a:.2f} ms vs {b:.2f} ms)")
    print(f"  {'2 workers':<14} {theirs / ours:5.2f}   ({ours:.1f} vs {theirs:.1f} trials/s)")


if __name__ == "__main__":
    main()
