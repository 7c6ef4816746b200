"""Where a population race run's time goes: a timeline of one ``time_to_target.py`` run of a
population method, from the moment its clock starts.

It runs the method exactly as the race does (``time_to_target_methods.run_nntune``: the
splits loaded and the one-off costs paid before the clock starts, then ``run_tune`` with the
population executor in this process) and times, on the same clock, the set-up before the
first member starts (the study, the sampler's stack-asking wrapper, recovering), the first
stack's building, its first epoch, the first complete trial and the target. Beside them it
counts the rounds (every live stack trains one epoch), the share of rounds in which more
than one stack trained, the stacks started, and the median time of a round with one stack
and with several (the cost of trials of different structures training side by side).

    python benchmarks/time_to_target_timeline.py                     # digits, pop-prior-pbt, seeds 0-2
    python benchmarks/time_to_target_timeline.py --task fashion_mnist --seeds 1 --method pop-tpe-asha
    python benchmarks/time_to_target_timeline.py --seeds 1 --budget 3   # a short look at the start

The target is the race's (Optuna TPE+Hyperband's median final best, measured there); give
another with ``--target``. Times are wall-clock seconds: the load average is printed with them.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_to_target as tt  # noqa: E402
import time_to_target_methods as tm  # noqa: E402

from nntune.executors import _population as population  # noqa: E402
from nntune.train import stack as stack_module  # noqa: E402

# The race's targets (Optuna TPE+Hyperband's median final best over 5 seeds, README's table).
TARGETS = {"digits": 0.9749, "fashion_mnist": 0.8667}


@dataclass
class Timeline:
    """Seconds from the race clock's start to each first event, and the rounds' times."""

    t0: float = 0.0
    first: dict[str, float] = field(default_factory=dict)
    rounds: list[tuple[int, float]] = field(default_factory=list)  # (stacks in the round, seconds)
    stacks: int = 0

    def mark(self, name: str, now: float) -> None:
        self.first.setdefault(name, now - self.t0)


def timed(owner: Any, name: str, before: Callable[..., None] | None = None,
          after: Callable[..., None] | None = None) -> Callable[[], None]:
    """Wrap ``owner.name`` with calls before and after it; returns what undoes it."""
    real = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if before is not None:
            before(*args)
        out = real(*args, **kwargs)
        if after is not None:
            after(*args)
        return out
    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, real)


def one_run(method: str, task: tm.Task, splits: Any, seed: int, target: float) -> tuple[Timeline, float]:
    line = Timeline()
    clock = time.perf_counter
    started: dict[str, float] = {}

    def round_start(run: Any, *_: Any) -> None:
        started["round"], started["stacks"] = clock(), len(run.stacks)

    def round_end(*_: Any) -> None:
        line.rounds.append((int(started["stacks"]), clock() - started["round"]))

    def stack_built(*_: Any) -> None:
        line.stacks += 1
        line.mark("first stack built", clock())

    undo = [
        timed(tm, "run_tune", before=lambda *_: setattr(line, "t0", clock())),
        timed(population, "_run", before=lambda *_: line.mark("set-up done (study, asker)", clock())),
        timed(population.Population, "start", before=lambda *_: line.mark("first member asked", clock())),
        timed(stack_module.Stack, "__init__", after=stack_built),
        timed(population.Population, "epoch", after=lambda *_: line.mark("first stack epoch ended", clock())),
        timed(population.Population, "end", after=lambda *_: line.mark("first member ended", clock())),
        timed(population.Population, "round", before=round_start, after=round_end),
    ]
    try:
        run = tm.run_nntune(method, task, splits, seed, task.budget)
    finally:
        for u in undo:
            u()
    if run.done:
        line.first["first complete trial"] = run.done[0].time
    return line, tm.time_to_target(run.done, target, task.budget, "maximize")  # both tasks score accuracy


def report(line: Timeline, reached: float, seed: int) -> None:
    load = os.getloadavg()
    print(f"seed {seed} (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    for name, t in sorted(line.first.items(), key=lambda kv: kv[1]):
        print(f"  {t:7.3f} s  {name}")
    print(f"  {reached:7.3f} s  target reached" if reached != float("inf") else "        -  target not reached")
    one = [s for n, s in line.rounds if n == 1]
    several = [s for n, s in line.rounds if n > 1]
    split = len(several) / max(1, len(line.rounds))
    print(f"  rounds {len(line.rounds)}, {split:.0%} with several stacks; stacks started {line.stacks}; "
          f"median round {statistics.median(one) * 1e3 if one else float('nan'):.0f} ms with one stack, "
          f"{statistics.median(several) * 1e3 if several else float('nan'):.0f} ms with several")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="digits", choices=sorted(TARGETS))
    ap.add_argument("--method", default="pop-prior-pbt", choices=tm.POPULATION)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--target", type=float, default=None)
    ap.add_argument("--budget", type=float, default=None, help="seconds per run (default: the race's for the task)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as the race runs
    epochs, budget = tt.TASKS[args.task]
    if args.budget is not None:
        if not args.budget > 0:
            ap.error(f"--budget: seconds above 0, got {args.budget:g}")
        budget = args.budget
    task = tm.make_task(args.task, epochs, budget)
    splits = tm.load_task(task)
    tm.warm_up(task, splits, [args.method])
    target = TARGETS[args.task] if args.target is None else args.target
    print(f"{args.method} on {args.task}, budget {budget:g} s, target {target}")
    for seed in range(args.seeds):
        line, reached = one_run(args.method, task, splits, seed, target)
        report(line, reached, seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
