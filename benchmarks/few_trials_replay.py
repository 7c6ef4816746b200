"""Replay stopping rules offline on recorded full learning curves (``few_trials_record.py``).

Each replay draws configurations from the recorded ones at random (with replacement, as a
random search would) and runs them on ``--workers`` simulated workers in simulated time:
an epoch costs the seconds the recording measured for it (the thread's CPU seconds, so a
loaded machine distorts them little), and after each epoch the rule under test,
nntune's own scheduler (ASHA, Hyperband or curve extrapolation, with the options named),
decides on the study's history so far, exactly as in a live study. Nothing trains: a
hundred replays of every rule (about 25) take 3 minutes on one thread, of a few rules
under a minute.

Printed per rule, over the replays (replay k of every rule draws the same configurations
in the same order): the share of arrivals from the recorded best quarter
(by final value) that were stopped, the same for the best configuration, the median
seconds and epochs (summed over workers) until a finished trial reached the target (the
recorded finals' top-10% value unless ``--target``), the share of replays reaching it
within the budget, the median best final value within the budget, and the trials started;
then each rule's difference from the first rule named in the share reaching the target,
paired over the same arrivals, with a 90% bootstrap interval.

    python benchmarks/few_trials_replay.py                    # benchmarks/data/mnist_cnn_curves.jsonl
    python benchmarks/few_trials_replay.py --replays 200 --budget 180 --workers 2 --target 0.976
    python benchmarks/few_trials_replay.py --file benchmarks/data/wide_mlp_curves.jsonl --budget 120 \
        --rules "asha g1 noise x1" "asha g1 noise x1 cost spare" "asha g1 noise x1 cost spare from 1x"  # costs 60x apart

A cost-aware rule's trials record their seconds as a live study's reports do (``elapsed_s``)
and it is given the simulated budget (``plan_budget``), so its unjudged cap applies.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nntune.schedulers import ASHA, CurveExtrapolation, Decision, Hyperband, NoScheduler
from nntune.trial import FrozenTrial, TrialState

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "mnist_cnn_curves.jsonl"


@dataclass(frozen=True)
class Recorded:
    values: tuple[float, ...]  # validation value after each epoch, 1..E
    seconds: tuple[float, ...]  # cost of each epoch

    @property
    def final(self) -> float:
        return self.values[-1]


def load_rows(path: Path, cost: str = "cpu_s") -> list[tuple[dict[str, Any], Recorded]]:
    """The full curves of a recording (rows with every epoch reported), each beside the
    configuration that produced it."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"{path}: no curves")
    epochs = max(len(r["values"]) for r in rows)
    return [(dict(r.get("params", {})),
             Recorded(tuple(float(v) for v in r["values"]), tuple(float(s) for s in r[cost])))
            for r in rows if len(r["values"]) == epochs and all(math.isfinite(v) for v in r["values"])]


def load(path: Path, cost: str = "cpu_s") -> list[Recorded]:
    """The full curves of a recording (rows with every epoch reported)."""
    return [rec for _, rec in load_rows(path, cost)]


# The rules: name -> a fresh scheduler (ASHA's options; ``none`` trains everything).
RULES: dict[str, Callable[[], Any]] = {
    "none": NoScheduler,
    "curve": CurveExtrapolation,  # learning-curve extrapolation at its defaults
    "asha g1": lambda: ASHA(1, None, 3),
    "asha g2": lambda: ASHA(2, None, 3),
    "asha g3": lambda: ASHA(3, None, 3),
    "asha g1 best": lambda: ASHA(1, None, 3, compare="best"),
    "asha g1 smoothed": lambda: ASHA(1, None, 3, compare="smoothed"),
    "asha g1 eta2-first": lambda: ASHA(1, None, 3, first_reduction_factor=2),
    "asha g2 eta2-first": lambda: ASHA(2, None, 3, first_reduction_factor=2),
    "asha g1 noise x1": lambda: ASHA(1, None, 3, noise_margin=1.0),  # create_study()'s scheduler
    "asha g1 noise x2": lambda: ASHA(1, None, 3, noise_margin=2.0),
    "asha g1 eta2-first noise x1": lambda: ASHA(1, None, 3, first_reduction_factor=2, noise_margin=1.0),
    "asha auto-grace rho>=0.6": lambda: ASHA(1, None, 3, auto_grace=True, min_rank_corr=0.6),
    "asha auto-grace rho>=0.8": lambda: ASHA(1, None, 3, auto_grace=True, min_rank_corr=0.8),
    # Cost-aware positions (a trial's epochs times its cost against the median epoch, from
    # 4x unless named), the unjudged cap at its default quarter of the budget unless named,
    # leaders spared or not.
    "asha g1 cost strict": lambda: ASHA(1, None, 3, cost_aware=True, spare_leaders=False),
    "asha g1 cost spare": lambda: ASHA(1, None, 3, cost_aware=True),
    "asha g1 cost spare cap 0.5": lambda: ASHA(1, None, 3, cost_aware=True, max_unjudged_share=0.5),
    "asha g1 cost spare no cap": lambda: ASHA(1, None, 3, cost_aware=True, max_unjudged_share=1.0),
    "asha g1 noise x1 cost strict": lambda: ASHA(1, None, 3, noise_margin=1.0, cost_aware=True, spare_leaders=False),
    "asha g1 noise x1 cost spare": lambda: ASHA(1, None, 3, noise_margin=1.0, cost_aware=True),
    **{f"asha g1 noise x1 cost spare from {k}x": (lambda k=k: ASHA(1, None, 3, noise_margin=1.0, cost_aware=True,
                                                                   min_cost_factor=k)) for k in (1, 2, 8)},
    "hyperband": lambda: Hyperband(1, 6, 3),  # the recordings' 6 epochs
    "hyperband cost spare": lambda: Hyperband(1, 6, 3, cost_aware=True),
    "hyperband cost from 1x": lambda: Hyperband(1, 6, 3, cost_aware=True, min_cost_factor=1),
    "asha g1 noise x1 cost spare cap 0.5": lambda: ASHA(1, None, 3, noise_margin=1.0, cost_aware=True,
                                                         max_unjudged_share=0.5),
    "asha g1 noise x1 cost spare no cap": lambda: ASHA(1, None, 3, noise_margin=1.0, cost_aware=True,
                                                        max_unjudged_share=1.0),
}


@dataclass
class Outcome:
    top_arrivals: int = 0
    top_stopped: int = 0
    best_arrivals: int = 0
    best_stopped: int = 0
    started: int = 0
    to_target_s: float = math.inf
    to_target_epochs: int = 0
    best_final: float = -math.inf
    finals: list[float] = field(default_factory=list)


def replay(pool: Sequence[Recorded], rule: Any, budget: float, workers: int, target: float,
           rng: np.random.Generator, direction: str = "maximize") -> Outcome:
    """One simulated study (see the module's docstring); the pool's best quarter and best
    configuration are judged by final value."""
    order = sorted(range(len(pool)), key=lambda i: pool[i].final, reverse=direction == "maximize")
    top, best = set(order[:max(1, len(pool) // 4)]), order[0]
    out = Outcome()
    timed = bool(getattr(rule, "cost_aware", False))  # reports record seconds, as Trial.report does
    if timed:
        rule.plan_budget(budget)
    history: list[FrozenTrial] = []
    started_at: list[float] = []
    which: list[int] = []  # trial number -> recorded configuration
    events: list[tuple[float, int, int]] = []  # (time the epoch ends, trial number, epoch)
    epochs_spent = 0

    def start(now: float) -> None:
        i = int(rng.integers(len(pool)))
        number = len(history)
        history.append(FrozenTrial(number=number, state=TrialState.RUNNING))
        which.append(i)
        started_at.append(now)
        out.started += 1
        out.top_arrivals += i in top
        out.best_arrivals += i == best
        heapq.heappush(events, (now + pool[i].seconds[0], number, 1))

    for _ in range(workers):
        start(0.0)
    while events:
        now, number, epoch = heapq.heappop(events)
        if now > budget:
            break
        rec, t = pool[which[number]], history[number]
        t.intermediate_values[epoch] = rec.values[epoch - 1]
        if timed:
            t.system_attrs["elapsed_s"] = [epoch, now - started_at[number]]
        epochs_spent += 1
        if epoch == len(rec.values):
            t.state, t.value = TrialState.COMPLETE, rec.final
            out.finals.append(rec.final)
            out.best_final = max(out.best_final, rec.final)
            if rec.final >= target and math.isinf(out.to_target_s):
                out.to_target_s, out.to_target_epochs = now, epochs_spent
            start(now)
        elif rule.decide(t, epoch, history, direction) == Decision.STOP:
            t.state = TrialState.PRUNED
            out.top_stopped += which[number] in top
            out.best_stopped += which[number] == best
            start(now)
        else:
            heapq.heappush(events, (now + rec.seconds[epoch], number, epoch + 1))
    return out


def paired(flags: Sequence[bool], base: Sequence[bool], rng: np.random.Generator,
           n: int = 2000) -> tuple[float, float, float]:
    """The mean difference of two runs' flags over the same seeds (or arrivals), with its
    90% bootstrap interval: the seeds are resampled together, so what they share cancels."""
    d = np.asarray(flags, dtype=float) - np.asarray(base[:len(flags)], dtype=float)
    means = d[rng.integers(len(d), size=(n, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95))


def summarize(name: str, outs: Sequence[Outcome]) -> dict[str, float]:
    def share(a: str, b: str) -> float:
        n = sum(getattr(o, b) for o in outs)
        return sum(getattr(o, a) for o in outs) / n if n else math.nan

    times = [o.to_target_s for o in outs]
    row = {"top_stopped": share("top_stopped", "top_arrivals"), "best_stopped": share("best_stopped", "best_arrivals"),
           "to_target_s": statistics.median(times),
           "to_target_epochs": statistics.median(o.to_target_epochs if math.isfinite(o.to_target_s) else math.inf
                                                 for o in outs),
           "reached": sum(math.isfinite(t) for t in times) / len(outs),
           "best": statistics.median(o.best_final for o in outs),
           "started": statistics.median(o.started for o in outs)}
    secs = "-" if math.isinf(row["to_target_s"]) else f"{row['to_target_s']:.0f}"
    eps = "-" if math.isinf(row["to_target_epochs"]) else f"{row['to_target_epochs']:.0f}"
    print(f"{name:36s} {row['top_stopped']:8.0%} {row['best_stopped']:8.0%} {secs:>8s} {eps:>7s} "
          f"{row['reached']:8.0%} {row['best']:8.4f} {row['started']:7.0f}", flush=True)
    return row


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--rules", nargs="+", choices=list(RULES), default=list(RULES))
    ap.add_argument("--replays", type=int, default=100)
    ap.add_argument("--budget", type=float, default=180.0, help="simulated seconds per study")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--target", type=float, default=None)
    ap.add_argument("--cost", choices=["cpu_s", "wall_s"], default="cpu_s")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.replays < 1 or args.budget <= 0 or args.workers < 1:
        ap.error("--replays, --budget and --workers must be positive")
    pool = load(args.file, args.cost)
    finals = sorted((r.final for r in pool), reverse=True)
    target = args.target if args.target is not None else finals[max(0, len(finals) // 10 - 1)]
    epoch_s = statistics.median(s for r in pool for s in r.seconds)
    print(f"{len(pool)} full curves of {len(pool[0].values)} epochs from {args.file.name}; median epoch "
          f"{epoch_s:.2f} s ({args.cost}); finals: best {finals[0]:.4f}, top quarter from "
          f"{finals[len(finals) // 4 - 1]:.4f}, median {statistics.median(finals):.4f}; target {target:.4f}")
    print(f"{args.replays} replays of {args.budget:g} simulated s on {args.workers} workers\n")
    print(f"{'rule':36s} {'top 1/4':>8s} {'best':>8s} {'to tgt s':>8s} {'epochs':>7s} {'reached':>8s} "
          f"{'best val':>8s} {'started':>7s}")
    print(f"{'':36s} {'stopped':>8s} {'stopped':>8s}")
    rows = {}
    reached: dict[str, list[bool]] = {}
    for name in args.rules:
        # Replay k of every rule draws the same configurations in the same order.
        outs = [replay(pool, RULES[name](), args.budget, args.workers, target, np.random.default_rng([args.seed, k]))
                for k in range(args.replays)]
        rows[name] = summarize(name, outs)
        reached[name] = [math.isfinite(o.to_target_s) for o in outs]
    base = args.rules[0]
    if len(args.rules) > 1:
        print(f"\nreached the target, against {base!r} over the same arrivals (points, 90% interval):")
        rng = np.random.default_rng(args.seed)
        for name in args.rules[1:]:
            d, lo, hi = paired(reached[name], reached[base], rng)
            rows[name]["reached_vs_first"] = d
            print(f"  {name:36s} {100 * d:+5.0f}  ({100 * lo:+.0f}..{100 * hi:+.0f})")
    return rows


if __name__ == "__main__":
    sys.exit(main() and 0)
