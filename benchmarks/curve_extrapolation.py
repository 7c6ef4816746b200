"""Learning-curve extrapolation against median stopping and ASHA on the same recorded curves.

Trains ``--configs`` random configurations of one of ``time_to_target.py``'s tasks for the
full budget each (``fidelity.py``'s path: ``nntune tune``, random sampler, no stopping),
or reads curves saved by an earlier run (``--curves FILE``; ``--save FILE`` writes them),
then replays the same configurations one after another under each scheduler, in
``--orders`` random orders: a trial reports its recorded curve epoch by epoch and stops
where the scheduler says, exactly as ``trial.should_prune()`` would have asked it. Prints
per scheduler, averaged over the orders:

- epochs trained, as a share of training every configuration fully;
- the share of the configurations stopped;
- how many of the best quarter (by final value) were stopped, and the share;
- the best final value among the trials that finished, its rank among all (1: the best
  configuration there was finished), and in how many orders the best one finished;
- for ``curve``, the median seconds one decision took.

``--finished-only`` adds ``curve`` calibrated on the complete trials' predictions alone
(rows ``... fin``), to compare with the default that also scores the stopped trials.

    python benchmarks/curve_extrapolation.py --task digits --configs 40 --save /tmp/digits.json
    python benchmarks/curve_extrapolation.py --curves /tmp/digits.json --orders 5
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the modules beside this file

from nntune.schedulers import ASHA, CurveExtrapolation, Decision, MedianStopping, Scheduler  # noqa: E402
from nntune.schedulers._curve import cached_fit  # noqa: E402
from nntune.trial import FrozenTrial, TrialState  # noqa: E402


@dataclass(frozen=True)
class Recorded:
    curve: dict[int, float]
    final: float  # the trial's value when it trained every epoch


@dataclass(frozen=True)
class Outcome:
    epochs: int  # epochs trained over every configuration
    full: int  # epochs had every configuration trained fully
    top_stopped: int  # configurations of the best quarter that were stopped
    top: int  # size of the best quarter
    best: float  # best final value among the finished trials
    rank: int  # its rank among all configurations' finals (1 = the best)
    decide_s: list[float]  # seconds per decision
    stopped: int = 0  # configurations stopped


def replay(records: Sequence[Recorded], order: Sequence[int], scheduler: Scheduler, direction: str) -> Outcome:
    """Run the configurations in ``order`` one after another under ``scheduler``; a trial
    reports each recorded epoch and stops where the scheduler says (its predictions, when it
    makes any, are kept with it as ``should_prune`` keeps them)."""
    sign = 1 if direction == "maximize" else -1
    finals = sorted((r.final for r in records), key=lambda v: -sign * v)
    top = set(sorted(range(len(records)), key=lambda i: -sign * records[i].final)[:max(1, len(records) // 4)])
    history: list[FrozenTrial] = []
    epochs, stopped_top, stopped, times = 0, 0, 0, []
    annotate = getattr(scheduler, "annotation", None)
    for number, i in enumerate(order):
        rec = records[i]
        steps = sorted(rec.curve)
        seen: dict[int, float] = {}
        attrs: dict[str, object] = {}
        state = TrialState.COMPLETE
        for step in steps:
            seen[step] = rec.curve[step]
            epochs += 1
            if step == steps[-1]:
                break
            running = FrozenTrial(number=number, state=TrialState.RUNNING, intermediate_values=dict(seen))
            t0 = time.perf_counter()
            decision = scheduler.decide(running, step, [*history, running], direction)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
            attrs.update((annotate(number) or {}) if annotate is not None else {})
            if decision == Decision.STOP:
                state = TrialState.PRUNED
                stopped += 1
                stopped_top += i in top
                break
        value = rec.final if state == TrialState.COMPLETE else seen[max(seen)]
        history.append(FrozenTrial(number=number, state=state, intermediate_values=seen, value=value,
                                   system_attrs=attrs))
    done = [t.value for t in history if t.state == TrialState.COMPLETE and t.value is not None]
    best = max(done, key=lambda v: sign * v)
    return Outcome(epochs, sum(len(r.curve) for r in records), stopped_top, len(top), best,
                   1 + sum(sign * v > sign * best for v in finals), times, stopped)


def schedulers(epochs: int, thresholds: Sequence[float],
               finished_only: bool = False) -> dict[str, Callable[[], Scheduler]]:
    """Each scheduler at its defaults, for trials of ``epochs`` epochs; with
    ``finished_only`` also ``curve`` calibrated on the complete trials alone
    (``calibrate_stopped=False``), as it was before stopped trials were scored."""
    out: dict[str, Callable[[], Scheduler]] = {
        "median": lambda: MedianStopping(),
        "asha": lambda: ASHA(min_resource=1, max_resource=epochs, reduction_factor=3),
    }
    for th in thresholds:
        out[f"curve p<{th:g}"] = lambda th=th: CurveExtrapolation(threshold=th, max_resource=epochs)
        if finished_only:
            out[f"curve p<{th:g} fin"] = lambda th=th: CurveExtrapolation(threshold=th, max_resource=epochs,
                                                                          calibrate_stopped=False)
    return out


def record(task_name: str, configs: int, workers: int, seed: int,
           epochs: int | None = None) -> tuple[list[Recorded], str]:
    """Train every configuration fully through ``fidelity.py``'s path; complete ones only."""
    import fidelity
    import time_to_target as ttt
    import time_to_target_methods as tm

    task = tm.make_task(task_name, epochs or ttt.TASKS[task_name][0], budget=math.inf)
    direction = tm.task_config(task, task.name).task.resolved_direction
    trials = fidelity.measure(task, configs, workers, seed)
    out = [Recorded({int(s): float(v) for s, v in t.intermediate_values.items()}, float(t.value))
           for t in trials if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
           and all(math.isfinite(v) for v in t.intermediate_values.values())]
    return out, direction


def main(argv: Sequence[str] | None = None) -> dict[str, list[Outcome]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="digits", help="a task of time_to_target.py")
    ap.add_argument("--configs", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=None, help="the full budget (default: the task's)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--curves", type=Path, default=None, help="read recorded curves instead of training")
    ap.add_argument("--save", type=Path, default=None, help="write the recorded curves here")
    ap.add_argument("--orders", type=int, default=3, help="random orders the configurations arrive in")
    ap.add_argument("--thresholds", type=float, nargs="*", default=[0.01, 0.02, 0.05])
    ap.add_argument("--finished-only", action="store_true",
                    help="also run curve calibrated on complete trials alone (rows '... fin')")
    args = ap.parse_args(argv)
    if args.curves is not None:
        data = json.loads(args.curves.read_text())
        records = [Recorded({int(s): v for s, v in r["curve"].items()}, r["final"]) for r in data["records"]]
        direction, name = data["direction"], data["task"]
    else:
        records, direction = record(args.task, args.configs, args.workers, args.seed, args.epochs)
        name = args.task
    if args.save is not None:
        args.save.write_text(json.dumps({"task": name, "direction": direction, "records": [
            {"curve": r.curve, "final": r.final} for r in records]}))
    if len(records) < 8:
        raise SystemExit(f"only {len(records)} configurations completed: too few to replay")
    epochs = max(max(r.curve) for r in records)
    rng = random.Random(args.seed)
    orders = [rng.sample(range(len(records)), len(records)) for _ in range(args.orders)]
    print(f"\nTask {name}: {len(records)} recorded curves of {epochs} epochs, {args.orders} orders")
    print(f"{'scheduler':<18} {'epochs':>8} {'stopped':>8} {'top-quarter stopped':>20} {'best found':>11} "
          f"{'rank':>5} {'best kept':>10} {'ms/decision':>12}")
    results: dict[str, list[Outcome]] = {}
    for label, make in schedulers(epochs, args.thresholds, args.finished_only).items():
        outs = []
        for order in orders:
            cached_fit.cache_clear()  # every order pays for its own fits
            outs.append(replay(records, order, make(), direction))
        results[label] = outs
        share = statistics.mean(o.epochs / o.full for o in outs)
        stopped = statistics.mean(o.top_stopped for o in outs)
        top = outs[0].top
        ms = 1000 * statistics.median(t for o in outs for t in o.decide_s) if outs[0].decide_s else 0.0
        halted = statistics.mean(o.stopped / len(records) for o in outs)
        print(f"{label:<18} {share:8.0%} {halted:8.0%} {stopped:11.1f} of {top:<3d} ({stopped / top:4.0%}) "
              f"{statistics.median(o.best for o in outs):11.4f} {statistics.median(o.rank for o in outs):5.0f} "
              f"{sum(o.rank == 1 for o in outs):4d} of {len(outs):<3d} {ms:12.1f}")
    return results


if __name__ == "__main__":
    main()
