"""Milliseconds per trial of the history-driven samplers on large studies, next to Optuna.

nntune's CMA-ES, NSGA-II, NSGA-III and multi-objective TPE against Optuna's CmaEsSampler,
NSGAIISampler, NSGAIIISampler and TPESampler(multivariate=True), in memory and in an SQLite
file. A study first holds ``n`` finished trials (1,000 and 3,000 by default), then a few
trials run untimed (CMA-ES replays the history once, caches fill) and the next ``--window``
trials of a trivial objective (two or three parameters) are timed: ask, objective and tell.

The history: nntune's studies (and Optuna's TPE) are given ``n`` seeded random trials (with
a failed one now and then, and pruned ones for one objective), so the cost measured is the sampler's on a history
of that size; Optuna's CMA-ES, NSGA-II and NSGA-III run themselves to ``n`` trials instead (in memory,
then copied into the SQLite study), since they skip trials without their own generation
records and would then sample at random.

Each (library, sampler, n, storage) is measured in a fresh process, the libraries taking
turns, ``--rounds`` times; the table gives the medians. ``--compare NAME=SRC`` adds another
checkout's ``src`` (nntune as it was, say) as one more column, for before/after comparisons.

    python benchmarks/sampler_ask_cost.py                       # 3 rounds, 1000 and 3000 trials
    python benchmarks/sampler_ask_cost.py --samplers nsga2 --trials 1000 --storages memory
    python benchmarks/sampler_ask_cost.py --compare before=/tmp/old/src --rounds 5
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SAMPLERS = ("cmaes", "nsga2", "nsga3", "motpe")
N_OBJECTIVES = {"cmaes": 1, "nsga2": 2, "nsga3": 3, "motpe": 2}
WARM = 5  # untimed trials after the history is in place


def values_of(x: float, y: float, z: int, m: int) -> list[float]:
    """The objectives (``m`` of them) of a point: cheap, with a front to spread along."""
    return [(x - 1) ** 2 + 0.1 * z, (x + 1) ** 2 + y, (y - 0.5) ** 2 + 0.05 * (10 - z)][:m]


def objective(m: int) -> Callable[[Any], Any]:
    def run(trial: Any) -> Any:
        x = trial.suggest_float("x", -3.0, 3.0)
        y = trial.suggest_float("y", 1e-3, 1.0, log=True)
        z = trial.suggest_int("z", 0, 10)
        out = values_of(x, y, z, m)
        return out[0] if m == 1 else tuple(out)
    return run


def random_history(n: int, m: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` finished trials as plain data: parameters, state and values (pruned ones only
    with one objective: Optuna's multi-objective TPE fails on a pruned trial)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x, y, z = float(rng.uniform(-3, 3)), float(math.exp(rng.uniform(math.log(1e-3), 0))), int(rng.integers(11))
        state = "failed" if i % 23 == 7 else "pruned" if i % 10 == 3 and m == 1 else "complete"
        out.append({"params": {"x": x, "y": y, "z": z}, "state": state, "values": values_of(x, y, z, m)})
    return out


def nntune_study(sampler: str, storage: str | None, n: int) -> Any:
    import nntune
    from nntune.samplers import CmaEsSampler, NSGAIIISampler, NSGAIISampler, TPESampler
    from nntune.space import Float, Int

    nntune.logging.set_verbosity(nntune.logging.ERROR)
    make = {"cmaes": lambda: CmaEsSampler(seed=0), "nsga2": lambda: NSGAIISampler(seed=0),
            "nsga3": lambda: NSGAIIISampler(seed=0), "motpe": lambda: TPESampler(seed=0)}[sampler]
    m = N_OBJECTIVES[sampler]
    study = nntune.create_study(storage=storage, sampler=make(), directions=["minimize"] * m)
    dists = {"x": Float(-3.0, 3.0), "y": Float(1e-3, 1.0, log=True), "z": Int(0, 10)}
    states = {"complete": nntune.TrialState.COMPLETE, "pruned": nntune.TrialState.PRUNED,
              "failed": nntune.TrialState.FAILED}
    study.add_trials([nntune.create_trial(state=states[h["state"]], params=h["params"], distributions=dists,
                                          values=h["values"] if h["state"] == "complete" else None,
                                          intermediate_values={0: h["values"][0]} if h["state"] == "pruned" else None)
                      for h in random_history(n, m)])
    return study


def optuna_study(sampler: str, storage: str | None, n: int, cache: Path | None = None) -> Any:
    """Optuna's study of ``n`` trials. CMA-ES and the NSGAs run themselves to ``n`` in memory
    (an SQLite study then gets those trials, kept in ``cache`` for the later rounds: running
    3,000 trials on SQLite takes minutes)."""
    import shutil

    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    s = optuna.samplers
    make = {"cmaes": lambda: s.CmaEsSampler(seed=0), "nsga2": lambda: s.NSGAIISampler(seed=0),
            "nsga3": lambda: s.NSGAIIISampler(seed=0), "motpe": lambda: s.TPESampler(seed=0, multivariate=True)}
    m = N_OBJECTIVES[sampler]
    kept = cache / f"optuna-{sampler}-{n}.db" if cache is not None and storage else None
    if kept is not None and kept.exists():
        shutil.copy(kept, storage[len("sqlite:///"):])  # type: ignore[index]
        return optuna.load_study(study_name="bench", storage=sqlite_store(storage), sampler=make[sampler]())
    study = optuna.create_study(storage=sqlite_store(storage) if storage else None, sampler=make[sampler](),
                                directions=["minimize"] * m, study_name="bench")
    if sampler != "motpe":  # their generations live in their trials' system attributes
        ran = optuna.create_study(sampler=make[sampler](), directions=["minimize"] * m)
        ran.optimize(objective(m), n_trials=n)
        study.add_trials(ran.get_trials(deepcopy=False))
    else:
        dists = {"x": optuna.distributions.FloatDistribution(-3.0, 3.0),
                 "y": optuna.distributions.FloatDistribution(1e-3, 1.0, log=True),
                 "z": optuna.distributions.IntDistribution(0, 10)}
        states = {"complete": optuna.trial.TrialState.COMPLETE, "pruned": optuna.trial.TrialState.PRUNED,
                  "failed": optuna.trial.TrialState.FAIL}
        study.add_trials([optuna.trial.create_trial(
            state=states[h["state"]], params=h["params"], distributions=dists,
            values=h["values"] if h["state"] == "complete" else None,
            intermediate_values={0: h["values"][0]} if h["state"] == "pruned" else None)
            for h in random_history(n, m)])
    if kept is not None:
        shutil.copy(storage[len("sqlite:///"):], kept)  # type: ignore[index]
    return study


def sqlite_store(url: str) -> Any:
    """Optuna's storage on nntune's SQLite settings (WAL, synchronous=NORMAL), as
    ``overhead.py`` makes it, so the comparison is of the libraries, not of fsyncs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from overhead import sqlite_like_nntune

    return sqlite_like_nntune(url)


def measure(library: str, sampler: str, n: int, storage: str, window: int, cache: Path | None) -> float:
    """Milliseconds per trial over ``window`` trials after ``n`` (in this process)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'study.db'}" if storage == "sqlite" else None
        study = optuna_study(sampler, url, n, cache) if library == "optuna" else nntune_study(sampler, url, n)
        run = objective(N_OBJECTIVES[sampler])
        study.optimize(run, n_trials=WARM)
        start = time.perf_counter()
        study.optimize(run, n_trials=window)
        return 1e3 * (time.perf_counter() - start) / window


def in_process(library: str, args: argparse.Namespace, src: str | None, cache: str) -> dict[str, float]:
    """One round of every configuration for ``library``, in a fresh interpreter."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, __file__, "--child", library, "--window", str(args.window), "--cache", cache,
           "--samplers", *args.samplers, "--trials", *map(str, args.trials), "--storages", *args.storages]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[tuple[str, str], float]:
    """Prints the table; returns the median ms per trial by (library, configuration)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samplers", nargs="*", default=list(SAMPLERS), choices=SAMPLERS)
    ap.add_argument("--trials", nargs="*", type=int, default=[1000, 3000])
    ap.add_argument("--storages", nargs="*", default=["memory", "sqlite"], choices=["memory", "sqlite"])
    ap.add_argument("--window", type=int, default=20, help="trials timed per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="measurements per configuration (median)")
    ap.add_argument("--compare", nargs="*", default=[], metavar="NAME=SRC",
                    help="other checkouts' src folders to measure too, e.g. before=/tmp/old/src")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        cache = Path(args.cache) if args.cache else None
        found = {f"{s}/{n}/{st}": measure(args.child, s, n, st, args.window, cache)
                 for s in args.samplers for n in args.trials for st in args.storages}
        print(json.dumps(found))
        return {}
    libraries = [("nntune", None), *(tuple(c.split("=", 1)) for c in args.compare), ("optuna", None)]
    runs: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as cache:
        for r in range(args.rounds):  # the libraries take turns, so a load spike hits all alike
            for library, src in libraries:
                kind = "optuna" if library == "optuna" else "nntune"
                for key, ms in in_process(kind, args, src, cache).items():
                    runs.setdefault((library, key), []).append(ms)
                print(f"round {r + 1}/{args.rounds}: {library} done", file=sys.stderr)
    median = {k: statistics.median(v) for k, v in runs.items()}
    names = [lib for lib, _ in libraries]
    print(f"\nMilliseconds per trial (ask + objective + tell), median of {args.rounds} rounds of "
          f"{args.window} trials; load {os.getloadavg()[0]:.2f}\n")
    print(f"{'sampler/trials/storage':<24}" + "".join(f"{lib:>10}" for lib in names) + f"{'ours/opt':>10}")
    for key in sorted({k for _, k in runs}, key=lambda k: (SAMPLERS.index(k.split('/')[0]), k)):
        row = [median[(lib, key)] for lib in names]
        print(f"{key:<24}" + "".join(f"{ms:>10.2f}" for ms in row)
              + f"{median[('nntune', key)] / median[('optuna', key)]:>10.2f}")
    return median


if __name__ == "__main__":
    main()
