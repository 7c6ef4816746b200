"""Time to a target validation value: nntune's early-stopping methods against Optuna's and Ray Tune's.

Methods, side by side in one run: nntune random+ASHA, TPE+ASHA, BOHB, Hyperband,
TPE+Hyperband and PBT (its population refilled, so that it trains for the whole budget),
and TPE+ASHA and PBT on 2 worker processes (Caviar: one per core, on one SQLite study);
random+ASHA, TPE+ASHA and PBT (2 workers) with the trainer's defaults as priors
(``search.default_priors``: trial 0 at Adam, lr 1e-3, beta2 0.999, 2 x 128 units, half of
the later trials drawn near them); Optuna TPESampler+HyperbandPruner (also with n_jobs=2,
and with the same defaults enqueued as its first trial, the Optuna user's counterpart of
priors), TPESampler alone and RandomSampler; Ray Tune's random search with ASHA where ``ray.tune`` imports (it
needs ``pip install 'ray[tune]'``; it runs 2 trials at a time, one per core, and its
``ray.init`` time counts in its times). Every method trains with nntune's own trainer
on the same splits, searches the same space (log scales alike, a Beta as 1 - b on a log
scale) and gets the same wall-clock budget per (task, method, seed); the order of methods
rotates from seed to seed so that drifting machine load favours none.

Tasks: the digits MLP (examples/digits-mlp.yaml), breast-cancer recall
(examples/breast-cancer-recall.yaml) and, because those two saturate, an MLP on 10,000
Fashion-MNIST training images with the digits space (skipped, with the reason, where
Debian's dataset-fashion-mnist is missing). On request (``--tasks fashion_cnn``), the
Fashion-MNIST CNN of examples/fashion-mnist-cnn.yaml on the same images: the race for a
GPU, where every method trains on ``cuda`` by itself (``scripts/gpu-check.sh``).

The target is the median final best validation value of Optuna TPE+Hyperband (of an even
number of seeds, the worse middle one). Per method,
medians over seeds: seconds until the best-so-far value reached the target (counted from
the search's start, after data loading; "not reached" counts as infinite), that time as a
ratio to Optuna TPE+Hyperband's, the final best validation value, the test value of the
best configuration (its model, retrained with its seed, evaluated once after the timed
search; where the task metric is another classification score, such as breast cancer's
recall, that model's test accuracy beside it, since a model that calls every case
malignant has recall 1.0), and the trials started and stopped early. Only trials that
finish within the budget count.

    python benchmarks/time_to_target.py             # 3 tasks, 3 seeds: about 70 minutes
    python benchmarks/time_to_target.py --quick     # digits, 2 seeds, 8 s budgets
    python benchmarks/time_to_target.py --tasks digits --seeds 5 --budget digits=30
    # the population executor's race (its goal: 5 of 5 seeds, at most 0.15x Optuna's time):
    python benchmarks/time_to_target.py --tasks digits fashion_mnist --seeds 5 \
        --methods pop-random-asha pop-tpe-asha pop-prior-pbt optuna-tpe-hyperband tpe-asha
    python benchmarks/time_to_target.py --throughput 120   # trials per hour, Fashion-MNIST MLP
    # on a machine others load: each run timed by its own CPU time (one-process methods only)
    python benchmarks/time_to_target.py --clock cpu --tasks digits --methods pop-prior-pbt pop-tpe-asha

The population executor (``pop-*``: random+ASHA, TPE+ASHA, PBT with priors) trains the
trials K at a time as stacks in one process; its rows add the share of member slots that
stayed empty, and ``--throughput`` prints trials per hour serially, on 2 workers and on it.

Goal: nntune's best method reaches the target in at most half of Optuna TPE+Hyperband's
time (aim for a quarter), with test accuracy at least as high (the test value is printed
beside it where the task metric is another score).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: Ray Tune prints no boxes between tables

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper module beside this file

import time_to_target_methods as tm  # noqa: E402
import time_to_target_ray as tr  # noqa: E402

from nntune.exceptions import ConfigError  # noqa: E402

REFERENCE = "optuna-tpe-hyperband"
LABELS = {"random-asha": "nntune random+ASHA", "tpe-asha": "nntune TPE+ASHA", "bohb": "nntune BOHB",
          "hyperband": "nntune Hyperband", "tpe-hyperband": "nntune TPE+Hyperband", "pbt": "nntune PBT",
          "tpe-asha-2w": "nntune TPE+ASHA, 2 workers", "pbt-2w": "nntune PBT, 2 workers",
          "prior-asha": "nntune random+ASHA, priors", "prior-tpe-asha-2w": "nntune TPE+ASHA, priors, 2 workers",
          "prior-pbt-2w": "nntune PBT, priors, 2 workers",
          "optuna-tpe-hyperband": "Optuna TPE+Hyperband",
          "optuna-tpe": "Optuna TPE", "optuna-random": "Optuna random",
          "optuna-tpe-hyperband-2j": "Optuna TPE+Hyperband, n_jobs=2",
          "optuna-tpe-hyperband-defaults": "Optuna TPE+Hyperband, defaults enqueued",
          "ray-asha": "Ray Tune random+ASHA",
          "pop-random-asha": "nntune random+ASHA, population", "pop-tpe-asha": "nntune TPE+ASHA, population",
          "pop-prior-pbt": "nntune PBT, priors, population",
          "pop-tpe-asha-block128": "nntune TPE+ASHA, population, 128 trials a structure",
          "pop-tpe-asha-block8": "nntune TPE+ASHA, population, 8 trials a structure",
          "pop-prior-pbt32": "nntune PBT, priors, population, 32 lineages",
          "pop-prior-pbt-k2": "nntune PBT, priors, population, stacks of 2",
          "pop-random-asha-2w": "nntune random+ASHA, population, 2 processes",
          "pop-prior-pbt-2w": "nntune PBT, priors, population, 2 processes",
          "random-asha-2w": "nntune random+ASHA, 2 workers"}
THROUGHPUT = ("random-asha", "random-asha-2w", "pop-random-asha", "pop-random-asha-2w")  # serial, 2 workers, population
# Raced only when named: a GPU's questions, and a population process per core.
ASKED_ONLY = ("pop-tpe-asha-block128", "pop-tpe-asha-block8", "pop-prior-pbt32", "pop-random-asha-2w", "pop-prior-pbt-2w")
METHODS = tuple(m for m in LABELS if m != "random-asha-2w")  # that one only for --throughput
LOADS: dict[str, list[float]] = {}  # the 1-minute load average after each run, by task
POPULATION_GOAL = 0.15  # the population executor's time to target, as a share of Optuna TPE+Hyperband's
# Largest budget in epochs (one full trial takes a few seconds) and search seconds per run.
TASKS: dict[str, tuple[int, float]] = {"digits": (27, 20.0), "breast_cancer": (27, 15.0),
                                       "fashion_mnist": (9, 40.0), "fashion_cnn": (9, 60.0)}
DEFAULT_TASKS = ("digits", "breast_cancer", "fashion_mnist")  # fashion_cnn is the GPU's race: ask for it


@dataclass(frozen=True)
class Row:
    method: str
    time: float  # median seconds to the target (inf: not reached in most seeds)
    reached: int  # seeds that reached it
    seeds: int
    ratio: float  # time / the reference's time
    best: float | None  # median final best validation value
    test: float | None  # median test value of the best configuration
    test_accuracy: float | None  # median test accuracy of that model (classification tasks)
    started: float
    pruned: float
    notes: str


def median_worst_missing(values: Sequence[float | None], direction: str) -> float | None:
    """The median, a run without a value (no trial completed) counting as the worst; None
    when that is the median (most runs had none)."""
    worst = -math.inf if direction == "maximize" else math.inf
    median = statistics.median(worst if v is None else v for v in values)
    return median if math.isfinite(median) else None


def final_best(run: tm.Run, budget: float, direction: str) -> float | None:
    best = tm.best_within(run.done, budget, direction)
    return None if best is None else best.value


def target_of(runs: Sequence[tm.Run], budget: float, direction: str) -> float:
    """The median final best of the reference's runs (a run with none counts as worst). Of
    an even number the worse middle value, so that more than half of the runs reach it and
    the reference's own median time is finite."""
    worst = -math.inf if direction == "maximize" else math.inf
    values = [worst if v is None else v for v in (final_best(r, budget, direction) for r in runs)]
    return (statistics.median_low if direction == "maximize" else statistics.median_high)(values)


def summarize(runs: dict[str, list[tm.Run]], target: float, budget: float, direction: str) -> list[Row]:
    """One row per method, medians over its seeds; ratios against the reference."""
    times = {m: [tm.time_to_target(r.done, target, budget, direction) for r in rs] for m, rs in runs.items()}
    medians = {m: statistics.median(ts) for m, ts in times.items()}
    reference = medians.get(REFERENCE, math.nan)
    rows = []
    for method, rs in runs.items():
        t = medians[method]
        ratio = t / reference if math.isfinite(t) and math.isfinite(reference) and reference > 0 else \
            (math.inf if math.isfinite(reference) else math.nan)
        elapsed = statistics.median(r.elapsed for r in rs)
        failed = sum(r.failed for r in rs)
        notes = "; ".join(([f"ended after {elapsed:.0f}s"] if elapsed < 0.9 * budget else [])
                          + ([f"{failed} run(s) failed"] if failed else []))
        rows.append(Row(method, t, sum(math.isfinite(x) for x in times[method]), len(rs), ratio,
                        median_worst_missing([final_best(r, budget, direction) for r in rs], direction),
                        median_worst_missing([r.test for r in rs], direction),
                        median_worst_missing([r.test_accuracy for r in rs], "maximize"),
                        statistics.median(r.started for r in rs),
                        statistics.median(r.pruned for r in rs), notes))
    return rows


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _secs(t: float) -> str:
    return "not reached" if math.isinf(t) else f"{t:.1f}"


def _ratio(r: float) -> str:
    return "-" if math.isnan(r) else ("inf" if math.isinf(r) else f"{r:.2f}")


def table(rows: Sequence[Row], metric: str = "") -> str:
    """The side-by-side table; a column of test accuracy where the task metric is another
    classification score (a model with recall 1.0 may have called everything positive)."""
    accuracy = metric != "accuracy" and any(r.test_accuracy is not None for r in rows)
    head = ("method", "time to target s", "reached", "ratio", "final best", "test",
            *(["test accuracy"] if accuracy else []), "started", "stopped early", "notes")
    body = [(LABELS[r.method], _secs(r.time), f"{r.reached}/{r.seeds}", _ratio(r.ratio), _num(r.best),
             _num(r.test), *([_num(r.test_accuracy)] if accuracy else []), f"{r.started:g}", f"{r.pruned:g}",
             r.notes) for r in rows]
    widths = [max(len(str(line[i])) for line in (head, *body)) for i in range(len(head))]
    fmt = lambda line: "  ".join(  # noqa: E731
        str(c).ljust(w) if i in (0, len(head) - 1) else str(c).rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *map(fmt, body)]).rstrip()


def nntune_best(rows: Sequence[Row], direction: str) -> Row | None:
    """nntune's fastest method to the target; a better test value breaks ties."""
    ours = [r for r in rows if r.method in tm.NNTUNE]
    sign = -1.0 if direction == "maximize" else 1.0
    return min(ours, key=lambda r: (r.time, sign * (r.test if r.test is not None else -sign * math.inf)),
               default=None)


def verdict(rows: Sequence[Row], direction: str, metric: str = "accuracy") -> str:
    """The goal: nntune's best method at most half of Optuna TPE+Hyperband's time, with test
    accuracy at least as high. Where the task is scored otherwise (breast cancer's recall)
    the test value is printed beside it; the goal reads the accuracy, as it is worded, since
    a model that calls every case malignant has test recall 1.0."""
    best = nntune_best(rows, direction)
    ref = next((r for r in rows if r.method == REFERENCE), None)
    if best is None or ref is None:
        return "nntune best: -, time ratio - (goal <= 0.5)"
    if best.test_accuracy is not None and ref.test_accuracy is not None:
        ours, theirs, better_of = best.test_accuracy, ref.test_accuracy, "maximize"
    else:  # a regression task: its own test value
        ours, theirs, better_of = best.test, ref.test, direction
    test_ok = ours is not None and (theirs is None or ours == theirs or tm.better(ours, theirs, better_of))
    met = best.ratio <= 0.5 and test_ok
    tests = f"test {metric} {_num(best.test)} vs Optuna TPE+Hyperband {_num(ref.test)}"
    if metric != "accuracy" and best.test_accuracy is not None and ref.test_accuracy is not None:
        tests += f", test accuracy {_num(best.test_accuracy)} vs {_num(ref.test_accuracy)}"
    return (f"nntune best: {LABELS[best.method]}, time ratio {_ratio(best.ratio)} (goal <= 0.5); "
            f"{tests}; goal (time and test accuracy) {'met' if met else 'not met'}")


def population_verdict(rows: Sequence[Row], runs: dict[str, list[tm.Run]], direction: str) -> str | None:
    """The population executor's goal: its best row reaches the target in at most 0.15 of
    Optuna TPE+Hyperband's time, in every seed, with test accuracy at least Optuna's; and
    the share of its member slots that stayed empty (median over seeds)."""
    ours = [r for r in rows if r.method in tm.POPULATION]
    ref = next((r for r in rows if r.method == REFERENCE), None)
    if not ours or ref is None:
        return None
    sign = -1.0 if direction == "maximize" else 1.0
    best = min(ours, key=lambda r: (r.time, sign * (r.test if r.test is not None else -sign * math.inf)))
    ours_acc, theirs_acc = (best.test_accuracy, ref.test_accuracy) if best.test_accuracy is not None \
        else (best.test, ref.test)
    test_ok = ours_acc is not None and (theirs_acc is None or ours_acc >= theirs_acc)
    met = best.ratio <= POPULATION_GOAL and best.reached == best.seeds and test_ok
    idle = ", ".join(f"{LABELS[r.method]} {statistics.median(x.idle_share or 0.0 for x in runs[r.method]):.1%}"
                     for r in ours)
    return (f"population best: {LABELS[best.method]}, time ratio {_ratio(best.ratio)} (goal <= {POPULATION_GOAL}), "
            f"reached in {best.reached}/{best.seeds} seeds, test {_num(ours_acc)} vs {_num(theirs_acc)}; goal "
            f"{'met' if met else 'not met'}. Idle share of the member slots: {idle}")


def trials_per_hour(task: tm.Task, seconds: float, log: Callable[[str], None]) -> dict[str, float]:
    """Trials finished per hour of wall clock by random+ASHA serially, on 2 worker processes
    and on the population executor (one run of ``seconds`` each; the in-flight trials that
    finish after it count, over the time they took)."""
    splits = tm.load_task(task)
    tm.warm_up(task, splits, THROUGHPUT)
    out = {}
    for method in THROUGHPUT:
        run = tm.RUNNERS[method](method, task, splits, 0, seconds)
        out[method] = 3600.0 * run.started / run.elapsed
        log(f"[{task.name}] {LABELS[method]}: {run.started} trials in {run.elapsed:.1f}s")
    return out


def method_order(methods: Sequence[str], seed: int) -> list[str]:
    """The methods rotated by the seed: each goes first in turn, none always after another's load."""
    k = seed % len(methods)
    return [*methods[k:], *methods[:k]]


def run_task(task: tm.Task, methods: Sequence[str], seeds: int, ray: tr.RaySession | None,
             log: Callable[[str], None]) -> dict[str, list[tm.Run]] | None:
    try:
        splits = tm.load_task(task)
    except ConfigError as err:
        print(f"\nTask {task.name} skipped: {err}")
        return None
    tm.warm_up(task, splits, methods)
    direction = tm.task_config(task, task.name).task.resolved_direction
    runs: dict[str, list[tm.Run]] = {m: [] for m in methods}
    for seed in range(seeds):
        for method in method_order(methods, seed):
            t0 = time.perf_counter()
            if method == tm.RAY:
                assert ray is not None
                try:
                    run = tr.run_ray(ray, task, splits, seed, task.budget)
                except Exception as err:  # Ray's own machinery: the other methods' runs go on
                    log(f"[{task.name}] seed {seed} {LABELS[method]} failed: {str(err).splitlines()[-1][:300]}")
                    run = tm.Run(method, seed, [], 0, 0, time.perf_counter() - t0, failed=True)
            else:
                run = tm.RUNNERS[method](method, task, splits, seed, task.budget)
            runs[method].append(run)
            LOADS.setdefault(task.name, []).append(os.getloadavg()[0])
            best = tm.best_within(run.done, task.budget, direction)
            log(f"[{task.name}] seed {seed} {LABELS[method]}: {run.started} started, {run.pruned} stopped early, "
                f"best {_num(None if best is None else best.value)}, test {_num(run.test)} "
                f"({time.perf_counter() - t0:.0f}s, load {load()})")
    return {m: runs[m] for m in methods}


def load() -> str:
    """The 1-, 5- and 15-minute load averages, printed beside every timed run: other work on
    the machine stretches wall-clock times."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def in_this_process(method: str) -> bool:
    """Whether ``method`` trains only in this process, on one thread (its CPU time is this
    process's): not worker processes, Optuna's n_jobs threads or Ray Tune."""
    return method != tm.RAY and not method.endswith("-2j") and tm.NNTUNE.get(method, {}).get("workers", 1) == 1


def device_name() -> str:
    """Where every method's trials train: nntune's trainer takes the first GPU when there is one."""
    import torch

    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"


def parse_budgets(items: Sequence[str]) -> dict[str, float]:
    """``30`` for every task, or ``digits=30 fashion_mnist=60``."""
    out: dict[str, float] = {}
    for item in items:
        name, _, value = item.rpartition("=")
        for task in ([name] if name else TASKS):
            if task not in TASKS:
                raise SystemExit(f"--budget: unknown task {task!r}; choose from {', '.join(TASKS)}")
            out[task] = float(value)
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, list[Row]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="digits only, 2 seeds, 8 s budgets")
    ap.add_argument("--tasks", nargs="*", choices=list(TASKS), default=None)
    ap.add_argument("--methods", nargs="*", choices=list(METHODS),
                    default=[m for m in METHODS if m not in ASKED_ONLY])
    ap.add_argument("--seeds", type=int, default=None, help="seeds per (task, method); default 3")
    ap.add_argument("--budget", nargs="*", default=[], help="seconds per run: N, or TASK=N ...")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ap.add_argument("--throughput", type=float, default=None, metavar="SECONDS",
                    help="only trials per hour of random+ASHA serially, on 2 workers and on the population "
                         "executor, SECONDS each, on the Fashion-MNIST MLP task (--tasks picks others)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: time each run by this process's CPU time (its timeout %gx the budget in wall "
                         "time), for comparisons on a machine others load; only methods that train in this "
                         "process on one thread" % tm.CPU_WALL_FACTOR)
    args = ap.parse_args(argv)
    if args.clock == "cpu":
        elsewhere = [m for m in args.methods if not in_this_process(m)]
        if elsewhere:
            ap.error(f"--clock cpu: {', '.join(elsewhere)} train in other processes or threads, "
                     "whose CPU time this process does not see; use --clock wall")
        tm.CLOCK, tm.WALL_FACTOR = time.process_time, tm.CPU_WALL_FACTOR
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    tasks = args.tasks or (["digits"] if args.quick else list(DEFAULT_TASKS))
    seeds = args.seeds or (2 if args.quick else 3)
    budgets = {t: 8.0 if args.quick else b for t, (_, b) in TASKS.items()} | parse_budgets(args.budget)
    methods = list(dict.fromkeys([*args.methods, REFERENCE]))  # the target needs the reference
    log = (lambda _line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if args.throughput is not None:
        for name in args.tasks or ["fashion_mnist"]:
            rates = trials_per_hour(tm.make_task(name, TASKS[name][0], args.throughput), args.throughput, log)
            print(f"\nTask {name}: trials per hour ({args.throughput:g}s runs, at most {TASKS[name][0]} epochs "
                  "per trial, random+ASHA)")
            for method, rate in rates.items():
                print(f"  {LABELS[method]:<40} {rate:8.0f}")
        return {}

    ray_session = None
    if tm.RAY in methods:
        try:
            import ray.tune  # noqa: F401

            ray_session = tr.RaySession()
        except Exception as err:  # ray or ray[tune]'s dependencies missing
            print(f"Ray Tune skipped: {type(err).__name__}: {str(err).splitlines()[0]}")
            methods.remove(tm.RAY)
    results: dict[str, list[Row]] = {}
    print(f"device: {device_name()}")
    started = time.perf_counter()
    try:
        for name in tasks:
            epochs = TASKS[name][0]
            task = tm.make_task(name, epochs, budgets[name])
            runs = run_task(task, methods, seeds, ray_session, log)
            if runs is None:
                continue
            cfg = tm.task_config(task, name)
            direction, metric = cfg.task.resolved_direction, cfg.task.metric
            target = target_of(runs[REFERENCE], task.budget, direction)
            rows = summarize(runs, target, task.budget, direction)
            results[name] = rows
            print(f"\nTask {name}: target validation {metric} {'>=' if direction == 'maximize' else '<='} "
                  f"{target:.4f} (median final best of Optuna TPE+Hyperband); budget {task.budget:g}"
                  f"{' CPU-' if tm.CLOCK is time.process_time else ''}s per run, "
                  f"at most {epochs} epochs per trial, {seeds} seeds, medians over seeds; load average "
                  f"{min(LOADS[name]):.1f}-{max(LOADS[name]):.1f} over its runs\n")
            print(table(rows, metric))
            if ray_session is not None:
                print(f"(Ray Tune runs 2 trials at a time, one per core; its times include ray.init, "
                      f"{ray_session.startup:.1f}s.)")
            print(verdict(rows, direction, metric), flush=True)
            about_population = population_verdict(rows, runs, direction)
            if about_population:
                print(about_population, flush=True)
    finally:
        if ray_session is not None:
            ray_session.close()
    print(f"\n({time.perf_counter() - started:.0f}s in all)")
    return results


if __name__ == "__main__":
    main()
