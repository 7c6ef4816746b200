"""When would the terminator have stopped a search, and what would stopping have cost?

For each sampler and seed, ``nntune tune``'s embedded default (the digits MLP, its space,
60/20/20) runs ``--trials`` trials of ``--epochs`` epochs without stopping. Then each rule
below reads every prefix of the finished trials, as ``TerminatorCallback`` would have read
the study after each trial, from ``--min-trials`` on:

* ``regret+split``: ``search.terminator: true`` (the GP's regret bound against the
  validation split's sampling error of the best accuracy);
* ``regret+curve``: the same bound against the best curves' epoch-to-epoch noise;
* ``emmr+median``: EMMR against a hundredth of its early median (Optuna's pairing);
* ``stagnation``: 30 complete trials without a better best value.

Per sampler, seed and rule it prints the trial after which the rule would have stopped
(``-``: never), the share of the trials that stopping there saves, the best validation
accuracy at that point against the best of the whole run (the loss in points and in the
split's standard errors), the room left and the noise at its last reading (where it stopped,
or after the last trial), and the rule's CPU seconds per check (median; the largest).
The last line is JSON: ``{"rule": {"stopped": k, "runs": n, "saved": share, "loss_points":
median, ...}}``.

    python benchmarks/terminator.py [--trials 60] [--seeds 3] [--samplers random tpe]
                                    [--epochs 10] [--min-trials 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nntune
from nntune.noise import binomial_se
from nntune.terminator import (BaseErrorEvaluator, BaseImprovementEvaluator, BestValueStagnationEvaluator,
                               CurveNoiseErrorEvaluator, EMMREvaluator, MedianErrorEvaluator,
                               RegretBoundEvaluator, SplitNoiseErrorEvaluator, StaticErrorEvaluator)
from nntune.trial import FrozenTrial, TrialState

Rule = Callable[[int, int], tuple[BaseImprovementEvaluator, BaseErrorEvaluator]]


def _emmr(seed: int, n_val: int) -> tuple[BaseImprovementEvaluator, BaseErrorEvaluator]:
    emmr = EMMREvaluator(seed=seed)
    return emmr, MedianErrorEvaluator(emmr)


RULES: dict[str, Rule] = {
    "regret+split": lambda seed, n_val: (RegretBoundEvaluator(seed=seed), SplitNoiseErrorEvaluator(n_val)),
    "regret+curve": lambda seed, n_val: (RegretBoundEvaluator(seed=seed), CurveNoiseErrorEvaluator()),
    "emmr+median": _emmr,
    "stagnation": lambda seed, n_val: (BestValueStagnationEvaluator(30), StaticErrorEvaluator(0.0)),
}


def run_study(sampler: str, seed: int, trials: int, epochs: int, folder: Path) -> tuple[list[FrozenTrial], int]:
    """The default task searched for ``trials`` trials: the complete trials in order, and
    the validation split's size."""
    storage = f"sqlite:///{folder / f'{sampler}-{seed}.db'}"
    nntune.tune(None, report=False, model_file=False,
                set={"storage": storage, "study": "terminator", "search.sampler": sampler, "search.seed": seed,
                     "search.trials": trials, "fixed.epochs": epochs})
    study = nntune.load_study(study_name="terminator", storage=storage)
    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    return done, int(study.system_attrs["n_val"])


def replay(trials: list[FrozenTrial], rule: Rule, seed: int, n_val: int, min_trials: int) -> dict[str, Any]:
    """The rule read after each trial from ``min_trials`` on: where it stops (None: never)
    and the CPU seconds of each reading."""
    improvement, error = rule(seed, n_val)
    seconds: list[float] = []
    stop, gap, noise = None, float("nan"), float("nan")
    for n in range(min_trials, len(trials) + 1):
        start = time.process_time()
        gap = improvement.evaluate(trials[:n], "maximize")
        noise = error.evaluate(trials[:n], "maximize")
        seconds.append(time.process_time() - start)
        if gap < noise:
            stop = n
            break
    return {"stop": stop, "seconds": seconds, "gap": gap, "noise": noise}


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--samplers", nargs="+", default=["random", "tpe"], choices=["random", "tpe", "gp", "qmc"])
    ap.add_argument("--epochs", type=int, default=10, help="at least 3: a curve's noise needs three epochs")
    ap.add_argument("--min-trials", type=int, default=20)
    ap.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    args = ap.parse_args(argv)
    if not 2 <= args.min_trials <= args.trials:
        ap.error("--min-trials must be between 2 and --trials")
    if args.epochs < 3:
        ap.error("--epochs must be at least 3")

    rows: list[dict[str, Any]] = []
    print(f"{'sampler':>7} {'seed':>4} {'rule':>13} {'stops after':>11} {'saved':>6} {'best then':>9} "
          f"{'best of all':>11} {'loss, points':>12} {'in SE':>6} {'room':>8} {'noise':>8} {'CPU s/check':>14}")
    with tempfile.TemporaryDirectory(prefix="terminator-") as tmp:
        for sampler in args.samplers:
            for seed in range(args.seeds):
                trials, n_val = run_study(sampler, seed, args.trials, args.epochs, Path(tmp))
                final = max(float(t.value) for t in trials)  # type: ignore[arg-type]
                for name in args.rules:
                    got = replay(trials, RULES[name], seed, n_val, args.min_trials)
                    stop = got["stop"]
                    then = max(float(t.value) for t in trials[:stop]) if stop else final  # type: ignore[arg-type]
                    row = {"sampler": sampler, "seed": seed, "rule": name, "stop": stop,
                           "saved": 0.0 if stop is None else 1 - stop / len(trials), "then": then, "final": final,
                           "loss_points": 100 * (final - then), "loss_se": (final - then) / binomial_se(final, n_val),
                           "seconds": statistics.median(got["seconds"]), "worst": max(got["seconds"])}
                    rows.append(row)
                    print(f"{sampler:>7} {seed:>4} {name:>13} {stop if stop else '-':>11} {row['saved']:>6.0%} "
                          f"{then:>9.4f} {final:>11.4f} {row['loss_points']:>12.2f} {row['loss_se']:>6.2f} "
                          f"{got['gap']:>8.3g} {got['noise']:>8.3g} {row['seconds']:>6.2f}; {row['worst']:>5.2f}")
    summary = {}
    for name in args.rules:
        mine = [r for r in rows if r["rule"] == name]
        summary[name] = {"stopped": sum(r["stop"] is not None for r in mine), "runs": len(mine),
                         "saved": round(statistics.mean(r["saved"] for r in mine), 3),
                         "loss_points": round(statistics.median(r["loss_points"] for r in mine), 2),
                         "worst_loss_points": round(max(r["loss_points"] for r in mine), 2),
                         "cpu_s_per_check": round(statistics.median(r["seconds"] for r in mine), 3)}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
