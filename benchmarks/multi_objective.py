"""Samplers for a study of several objectives: the hypervolume each reaches, nntune's against Optuna's.

Which sampler should ``create_study(directions=[...])`` use when none is given? Optuna's
default there is TPE (multi-objective TPE, since v4); nntune's was random search. This
script races them on the same problems, seeds and trial counts.

Methods: nntune ``random``; ``tpe`` (``TPESampler(seed)``, multi-objective through the
non-dominated sorting: each complete trial's front, crowding breaking ties); ``tpe-nn``
(the single-objective default's settings: centre first, 4 Sobol points, constant liar, a
twentieth as the good group); ``tpe-nn-tenth`` (the same with Optuna's tenth); ``nsga2``;
``default`` (whatever ``nntune.create_study`` picks today); Optuna's ``TPESampler``
(its default), ``NSGAIISampler`` and ``RandomSampler``.

Problems, each two objectives to minimize:
- ``zdt1``: ZDT1 in 6 dimensions (a convex front, f1 = x1);
- ``zdt2``: ZDT2 in 6 dimensions (a concave front);
- ``mlp``: a digits MLP, validation error against the network's size (log10 of its
  weights), over the learning rate (log), the optimizer, the width (log), the depth and the
  batch size; 4 epochs a trial on one thread, the same split and seed for every method.

Per (problem, method) the table gives the median over seeds of the hypervolume after
``--trials`` trials (reference point in the docstring of ``PROBLEMS``), as a share of the
best any run reached on that problem, the median count of non-dominated trials, and the
median seconds a run took.

    python benchmarks/multi_objective.py            # 3 problems, 40 trials, 8 seeds (MLP 4): about 12 minutes
    python benchmarks/multi_objective.py --quick    # 20 trials, 2 seeds, no MLP: under a minute
    python benchmarks/multi_objective.py --problems zdt1 --methods tpe optuna-tpe --seeds 20
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import nntune  # noqa: E402
from nntune._defaults import few_trials_gamma  # noqa: E402
from nntune._hypervolume import hypervolume, nondominated  # noqa: E402
from nntune.samplers import NSGAIISampler, RandomSampler, TPESampler  # noqa: E402


@dataclass(frozen=True)
class Problem:
    """Two objectives to minimize of a trial (``objective``), and the reference point of
    the hypervolume (worse than any point worth counting)."""

    objective: Callable[[Any], tuple[float, float]]
    reference: tuple[float, float]


def _zdt_x(trial: Any, d: int = 6) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)])


def zdt1(trial: Any) -> tuple[float, float]:
    x = _zdt_x(trial)
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - np.sqrt(x[0] / g)))


def zdt2(trial: Any) -> tuple[float, float]:
    x = _zdt_x(trial)
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - (x[0] / g) ** 2))


_DIGITS: dict[str, Any] = {}


def mlp(trial: Any) -> tuple[float, float]:
    """Validation error of a digits MLP after 4 epochs, and log10 of its weights."""
    import torch
    from torch import nn

    if not _DIGITS:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        x, y = load_digits(return_X_y=True)
        xt, xv, yt, yv = train_test_split(x / 16.0, y, test_size=0.3, random_state=0, stratify=y)
        _DIGITS.update(xt=torch.tensor(xt, dtype=torch.float32), yt=torch.tensor(yt),
                       xv=torch.tensor(xv, dtype=torch.float32), yv=torch.tensor(yv))
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "momentum", "adam"])
    units = trial.suggest_int("units", 4, 256, log=True)
    layers = trial.suggest_int("layers", 1, 3)
    batch = trial.suggest_categorical("batch_size", [32, 64, 128])
    torch.manual_seed(0)
    dims = [64] + [units] * layers
    blocks: list[nn.Module] = []
    for a, b in zip(dims, dims[1:]):
        blocks += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*blocks, nn.Linear(dims[-1], 10))
    opt: torch.optim.Optimizer
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0)
    xt, yt = _DIGITS["xt"], _DIGITS["yt"]
    gen = torch.Generator().manual_seed(0)
    for _ in range(4):
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            if not torch.isfinite(loss):
                break
            loss.backward()
            opt.step()
    with torch.no_grad():
        error = float((model(_DIGITS["xv"]).argmax(1) != _DIGITS["yv"]).float().mean())
    weights = sum(p.numel() for p in model.parameters())
    return error, float(np.log10(weights))


PROBLEMS = {
    "zdt1": Problem(zdt1, (1.1, 11.0)),
    "zdt2": Problem(zdt2, (1.1, 11.0)),
    # An error of 0.9 is chance on ten classes; 10**5.5 weights is past the largest net here.
    "mlp": Problem(mlp, (0.9, 5.5)),
}


def _nntune_study(sampler: Any) -> Callable[[int], Any]:
    return lambda seed: nntune.create_study(directions=["minimize", "minimize"], sampler=sampler(seed))


def _optuna_study(name: str) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = {"optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
                   "optuna-nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed),
                   "optuna-random": lambda: optuna.samplers.RandomSampler(seed=seed)}[name]()
        return optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    return make


def _tpe_nn(gamma: Callable[[int], int] | None) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        extra = {} if gamma is None else {"gamma": gamma}
        return TPESampler(seed=seed, n_startup_trials=5, startup="sobol", centre_first=True,
                          constant_liar=True, **extra)
    return make


METHODS: dict[str, Callable[[int], Any]] = {
    "random": _nntune_study(lambda seed: RandomSampler(seed)),
    "tpe": _nntune_study(lambda seed: TPESampler(seed=seed)),
    "tpe-nn": _nntune_study(_tpe_nn(few_trials_gamma)),
    "tpe-nn-tenth": _nntune_study(_tpe_nn(None)),
    "nsga2": _nntune_study(lambda seed: NSGAIISampler(seed=seed)),
    "default": lambda seed: nntune.create_study(directions=["minimize", "minimize"], seed=seed),
    "optuna-tpe": _optuna_study("optuna-tpe"),
    "optuna-nsga2": _optuna_study("optuna-nsga2"),
    "optuna-random": _optuna_study("optuna-random"),
}


@dataclass
class Run:
    hypervolume: float
    front: int
    seconds: float


def run_one(problem: Problem, method: str, seed: int, trials: int) -> Run:
    """One study of ``trials`` trials; its hypervolume and front size at the end."""
    study = METHODS[method](seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature notes of either library
        study.optimize(problem.objective, n_trials=trials)
    seconds = time.perf_counter() - start
    points = np.array([t.values for t in study.trials if t.values is not None], dtype=float)
    return Run(hypervolume(points, np.array(problem.reference)), len(nondominated(points)), seconds)


def table(results: dict[str, dict[str, list[Run]]]) -> str:
    """Markdown: per problem and method, the median hypervolume as a share of the best run's."""
    lines = ["| problem | method | hypervolume (share of the best run) | non-dominated trials | seconds |",
             "| --- | --- | --- | --- | --- |"]
    for name, by_method in results.items():
        best = max(r.hypervolume for runs in by_method.values() for r in runs) or 1.0
        order = sorted(by_method, key=lambda m: -statistics.median(r.hypervolume for r in by_method[m]))
        for method in order:
            runs = by_method[method]
            hv = statistics.median(r.hypervolume for r in runs) / best
            lo, hi = min(r.hypervolume for r in runs) / best, max(r.hypervolume for r in runs) / best
            lines.append(f"| {name} | {method} | {hv:.4f} ({lo:.4f}-{hi:.4f}) | "
                         f"{statistics.median(r.front for r in runs):g} | "
                         f"{statistics.median(r.seconds for r in runs):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=None)
    parser.add_argument("--methods", nargs="+", choices=sorted(METHODS), default=None)
    parser.add_argument("--trials", type=int, default=None, help="trials a study (default 40; --quick 20)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds a method (default 8, the MLP half; --quick 2)")
    parser.add_argument("--quick", action="store_true", help="20 trials, 2 seeds, the two ZDT problems")
    args = parser.parse_args(argv)
    if args.trials is not None and args.trials < 2:
        parser.error("--trials: needs at least 2")
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds: needs at least 1")
    trials = args.trials or (20 if args.quick else 40)
    problems = args.problems or (["zdt1", "zdt2"] if args.quick else list(PROBLEMS))
    methods = args.methods or list(METHODS)
    results: dict[str, dict[str, list[Run]]] = {}
    for name in problems:
        seeds = args.seeds or (2 if args.quick else (4 if name == "mlp" else 8))
        results[name] = {m: [] for m in methods}
        for seed in range(seeds):
            for i in range(len(methods)):  # the order rotates from seed to seed
                method = methods[(i + seed) % len(methods)]
                results[name][method].append(run_one(PROBLEMS[name], method, seed, trials))
        print(f"{name}: {seeds} seeds of {trials} trials", flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
