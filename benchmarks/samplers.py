"""nntune's samplers against Optuna's, side by side, on six problems.

Methods: nntune random, qmc, coarse_to_fine, tpe, gp, cmaes; Optuna RandomSampler,
TPESampler, GPSampler, CmaEsSampler (default settings; Optuna's CMA-ES needs the ``cmaes``
package). Problems: Branin (2-d), Hartmann-6, Rosenbrock-4, Ackley-5, a mixed problem (a
Choice, a log-scale float, an integer, a Beta and a float) and a digits MLP (validation
cross-entropy after a few epochs of a small torch network).

For each (problem, method, seed) a study runs ``--evals`` evaluations; the table gives the
median over seeds of the best regret (best value minus the known optimum; the MLP's loss
itself), and the ratio of nntune's best sampler to Optuna's best method per problem
(<= 1: nntune as good or better). A second table times one suggestion on synthetic
histories of 100 and 1000 trials (nntune: ``sampler.suggest``; Optuna: ``study.ask`` with
fixed distributions, which samples every parameter).

    python benchmarks/samplers.py             # 60 evaluations, 10 seeds (5 for the MLP)
    python benchmarks/samplers.py --quick     # 3 seeds, MLP 2 seeds
    python benchmarks/samplers.py --problems branin hartmann6 --methods tpe optuna-tpe
    python benchmarks/samplers.py --problems hartmann6 --methods gp optuna-gp --shared-startup 10

``--shared-startup N`` runs the same N random points (per seed) first in every study, so
that a comparison of model-based samplers measures what each does after them: with each
library's own random start-up, which start-up points a seed happens to draw decides much
of the outcome (Hartmann-6, GP: 12 of 20 seeds reach the global basin from one set of 20
start-up designs, 5 of 20 from another, the sampler unchanged).

Goal: nntune's best sampler at least as good as Optuna's best on 5 of 6 problems, and
per-suggestion time no more than Optuna's.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
import sys  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import nntune  # noqa: E402
from nntune.samplers import (  # noqa: E402
    CmaEsSampler,
    CoarseToFineSampler,
    GPSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from nntune.space import Beta, Choice, Float, Int, Space  # noqa: E402
from nntune.trial import FrozenTrial, TrialState  # noqa: E402

Params = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    space: Space
    fn: Callable[[Params], float]
    optimum: float  # subtracted from the best value (0 where unknown)


def branin(p: Params) -> float:
    x1, x2 = p["x1"], p["x2"]
    return ((x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)


_H_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                 [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p: Params) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))))


def rosenbrock4(p: Params) -> float:
    x = np.array([p[f"x{i}"] for i in range(4)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley5(p: Params) -> float:
    x = np.array([p[f"x{i}"] for i in range(5)])
    return float(-20 * np.exp(-0.2 * np.sqrt(np.mean(x * x))) - np.exp(np.mean(np.cos(2 * np.pi * x)))
                 + 20 + math.e)


_MIXED = {"sgd": (-1.0, 2.0, 0.6), "adam": (-3.0, -1.0, 0.0), "rmsprop": (-3.5, 0.5, 0.3),
          "adagrad": (-1.5, -2.5, 0.9)}


def mixed(p: Params) -> float:
    """Each optimizer has its own best log learning rate and offset; min 0 (adam, lr 1e-3,
    x = -1, 4 layers, beta = 0.99)."""
    best_log_lr, best_x, offset = _MIXED[p["optimizer"]]
    beta_term = (math.log10(1 - p["beta"]) + 2.0) ** 2  # best at 1 - beta = 0.01
    return ((math.log10(p["lr"]) - best_log_lr) ** 2 + 0.25 * (p["x"] - best_x) ** 2
            + 0.1 * (p["layers"] - 4) ** 2 + 0.5 * beta_term + offset)


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[Any, Any, Any, Any]:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xva, ytr, yva = train_test_split(x / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-6
    f = functools.partial(torch.tensor, dtype=torch.float32)
    return f((xtr - mean) / std), torch.tensor(ytr), f((xva - mean) / std), torch.tensor(yva)


def digits_mlp(p: Params, epochs: int = 3) -> float:
    """Validation cross-entropy of a one-hidden-layer MLP on sklearn's digits (capped at 5)."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    xtr, ytr, xva, yva = _digits()
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, p["hidden"]), nn.ReLU(), nn.Dropout(p["dropout"]),
                          nn.Linear(p["hidden"], 10))
    if p["optimizer"] == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=p["lr"], betas=(p["momentum"], 0.999),
                                                      weight_decay=p["weight_decay"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"],
                              weight_decay=p["weight_decay"])
    batch = 32
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        val = float(nn.functional.cross_entropy(model(xva), yva))
    return min(val, 5.0) if math.isfinite(val) else 5.0


PROBLEMS: dict[str, Problem] = {
    "branin": Problem(Space({"x1": Float(-5, 10), "x2": Float(0, 15)}), branin, 0.397887),
    "hartmann6": Problem(Space({f"x{i}": Float(0, 1) for i in range(6)}), hartmann6, -3.32237),
    "rosenbrock4": Problem(Space({f"x{i}": Float(-5, 10) for i in range(4)}), rosenbrock4, 0.0),
    "ackley5": Problem(Space({f"x{i}": Float(-32.768, 32.768) for i in range(5)}), ackley5, 0.0),
    "mixed": Problem(Space({"optimizer": Choice(("sgd", "adam", "rmsprop", "adagrad")),
                            "lr": Float(1e-6, 1.0, log=True), "layers": Int(1, 8),
                            "beta": Beta(0.9, 0.9999), "x": Float(-5, 5)}), mixed, 0.0),
    "digits_mlp": Problem(Space({"optimizer": Choice(("sgd", "adam")), "lr": Float(1e-5, 1.0, log=True),
                                 "hidden": Int(8, 256, log=True), "dropout": Float(0.0, 0.6),
                                 "momentum": Beta(0.5, 0.999),
                                 "weight_decay": Float(1e-7, 1e-1, log=True)}), digits_mlp, 0.0),
}

NNTUNE: dict[str, Callable[[int], Any]] = {
    "random": lambda s: RandomSampler(seed=s), "qmc": lambda s: QMCSampler(seed=s, scramble=True),
    "coarse_to_fine": lambda s: CoarseToFineSampler(seed=s, stages=3, trials_per_stage=20),
    "tpe": lambda s: TPESampler(seed=s), "gp": lambda s: GPSampler(seed=s),
    "cmaes": lambda s: CmaEsSampler(seed=s),
}
OPTUNA = ("optuna-random", "optuna-tpe", "optuna-gp", "optuna-cmaes")
METHODS = (*NNTUNE, *OPTUNA)


def _optuna_sampler(method: str, seed: int) -> Any:
    import optuna

    return {"optuna-random": optuna.samplers.RandomSampler, "optuna-tpe": optuna.samplers.TPESampler,
            "optuna-gp": optuna.samplers.GPSampler, "optuna-cmaes": optuna.samplers.CmaEsSampler}[method](seed=seed)


def _optuna_suggest(trial: Any, space: Space) -> Params:
    out: Params = {}
    for name, d in space.params.items():
        if isinstance(d, Choice):
            out[name] = trial.suggest_categorical(name, list(d.values))
        elif isinstance(d, Int):
            out[name] = trial.suggest_int(name, d.low, d.high, step=d.step, log=d.log)
        elif isinstance(d, Beta):  # the same (1 - beta) log scale
            out[name] = 1.0 - trial.suggest_float(f"1-{name}", 1 - d.high, 1 - d.low, log=True)
        else:
            out[name] = trial.suggest_float(name, d.low, d.high, log=d.log, step=d.step)
    return out


def _optuna_params(params: Params, space: Space) -> Params:
    """``params`` as ``_optuna_suggest`` names them (a Beta as its ``1-name``)."""
    return {(f"1-{k}" if isinstance(space.params[k], Beta) else k):
            (1.0 - v if isinstance(space.params[k], Beta) else v) for k, v in params.items()}


def startup_points(problem: str, seed: int, n: int) -> list[Params]:
    """``n`` uniform random points of the problem's space (each parameter on its own
    scale), the same for every method given this seed."""
    rng = np.random.default_rng([7919, seed])
    return [PROBLEMS[problem].space.sample(rng) for _ in range(n)]


def run_one(problem: str, method: str, seed: int, evals: int, shared_startup: int = 0) -> float:
    """Best value found by ``method`` in ``evals`` evaluations of ``problem``, the first
    ``shared_startup`` of them at :func:`startup_points`."""
    warnings.filterwarnings("ignore")
    prob = PROBLEMS[problem]
    first = startup_points(problem, seed, min(shared_startup, evals))
    if method in NNTUNE:
        study = nntune.create_study(sampler=NNTUNE[method](seed), space=prob.space)
        for params in first:
            study.enqueue_trial(params)
        study.optimize(lambda t: prob.fn(t.suggest_space(prob.space)), n_trials=evals)
        return study.best_value
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ostudy = optuna.create_study(sampler=_optuna_sampler(method, seed))
    for params in first:
        ostudy.enqueue_trial(_optuna_params(params, prob.space))
    ostudy.optimize(lambda t: prob.fn(_optuna_suggest(t, prob.space)), n_trials=evals)
    return float(ostudy.best_value)


def _synthetic(space: Space, n: int, seed: int) -> list[FrozenTrial]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        params = space.sample(rng)
        out.append(FrozenTrial(number=i, state=TrialState.COMPLETE, params=params,
                               distributions=dict(space.params), value=hartmann6(params)))
    return out


def time_suggest(method: str, n: int, repeats: int) -> float:
    """Median milliseconds for one suggestion after ``n`` complete trials (Hartmann-6 space)."""
    warnings.filterwarnings("ignore")
    space = PROBLEMS["hartmann6"].space
    history = _synthetic(space, n, seed=0)
    times = []
    if method in NNTUNE:
        sampler = NNTUNE[method](0)
        for r in range(repeats):
            start = time.perf_counter()
            sampler.suggest(space, history, number=n + r, direction="minimize")
            times.append(time.perf_counter() - start)
        return 1e3 * statistics.median(times)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dists = {name: optuna.distributions.FloatDistribution(d.low, d.high) for name, d in space.params.items()}
    study = optuna.create_study(sampler=_optuna_sampler(method, 0))
    study.add_trials([optuna.trial.create_trial(params=t.params, distributions=dists, value=t.value)
                      for t in history])
    for _ in range(repeats):
        start = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - start)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)  # not in the next suggestion's data
    return 1e3 * statistics.median(times)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def main(argv: list[str] | None = None) -> dict[tuple[str, str], float]:
    """Prints the tables; returns the median best regret by (problem, method)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 seeds (2 for the MLP)")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--mlp-seeds", type=int, default=None)
    ap.add_argument("--evals", type=int, default=60)
    ap.add_argument("--problems", nargs="*", default=list(PROBLEMS), choices=list(PROBLEMS))
    ap.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--shared-startup", type=int, default=0, metavar="N",
                    help="first N evaluations at the same random points for every method (default 0: "
                         "each sampler's own)")
    args = ap.parse_args(argv)
    if args.shared_startup < 0:
        ap.error(f"--shared-startup: must be 0 or more, got {args.shared_startup}")
    seeds = args.seeds or (3 if args.quick else 10)
    mlp_seeds = args.mlp_seeds or (2 if args.quick else 5)

    jobs = [(p, m, s) for p in args.problems for m in args.methods
            for s in range(mlp_seeds if p == "digits_mlp" else seeds)]
    start = time.time()
    best: dict[tuple[str, str], list[float]] = {}
    with ProcessPoolExecutor(args.workers) as pool:
        futures = {pool.submit(run_one, p, m, s, args.evals, args.shared_startup): (p, m) for p, m, s in jobs}
        for done, future in enumerate(as_completed(futures), 1):
            p, m = futures[future]
            best.setdefault((p, m), []).append(future.result() - PROBLEMS[p].optimum)
            print(f"\r{done}/{len(jobs)} runs, {time.time() - start:.0f}s", end="", file=sys.stderr)
    print(file=sys.stderr)
    median = {k: statistics.median(v) for k, v in best.items()}

    shared = f", the first {args.shared_startup} shared" if args.shared_startup else ""
    print(f"\nMedian best regret after {args.evals} evaluations{shared} ({seeds} seeds, digits_mlp {mlp_seeds}; "
          f"{time.time() - start:.0f}s)\n")
    width = max(12, *(len(p) + 2 for p in args.problems))
    print(f"{'method':<16}" + "".join(f"{p:>{width}}" for p in args.problems))
    for m in args.methods:
        print(f"{m:<16}" + "".join(f"{_fmt(median[(p, m)]):>{width}}" for p in args.problems))
    ours = [m for m in args.methods if m in NNTUNE]
    theirs = [m for m in args.methods if m in OPTUNA]
    if ours and theirs:
        wins = 0
        row_best, row_ratio = "", ""
        for p in args.problems:
            a = min(ours, key=lambda m: median[(p, m)])
            b = min(theirs, key=lambda m: median[(p, m)])
            ra, rb = median[(p, a)], median[(p, b)]
            wins += ra <= rb
            row_best += f"{a + '/' + b.replace('optuna-', 'o-'):>{width}}"
            row_ratio += f"{(_fmt(ra / rb) if rb > 0 else ('1' if ra <= rb else 'inf')):>{width}}"
        print(f"{'best (ours/opt)':<16}" + row_best)
        print(f"{'ratio ours/opt':<16}" + row_ratio)
        print(f"\nnntune's best sampler at least as good as Optuna's best on {wins} of {len(args.problems)} problems")

    if not args.no_timing:
        print("\nMilliseconds per suggestion (median; Hartmann-6 space, synthetic complete trials)\n")
        timed = [m for m in ("tpe", "random", "optuna-tpe", "optuna-random") if m in args.methods]
        ms = {(m, n): time_suggest(m, n, 21 if n <= 100 else 11) for m in timed for n in (100, 1000)}
        print(f"{'method':<16}{'at 100':>10}{'at 1000':>10}{'ratio@100':>11}{'ratio@1000':>11}")
        for m in timed:
            ref = "optuna-" + m if m in NNTUNE else m
            r100 = ms[(m, 100)] / ms[(ref, 100)] if (ref, 100) in ms else float("nan")
            r1000 = ms[(m, 1000)] / ms[(ref, 1000)] if (ref, 1000) in ms else float("nan")
            print(f"{m:<16}{ms[(m, 100)]:>10.2f}{ms[(m, 1000)]:>10.2f}{r100:>11.2f}{r1000:>11.2f}")
    return median


if __name__ == "__main__":
    main()
