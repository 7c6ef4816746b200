"""What ``population: auto`` would choose on a device: one training step of stacks of 1, 2,
4, ... members of a race task's first structure (its trainer defaults, what PBT with
priors starts with), timed as :func:`nntune.train.stack_size.step_seconds` times it, and
the size :func:`~nntune.train.stack_size.pick_population` picks from the timings.

    python benchmarks/stack_size.py [--task digits|fashion_mnist|fashion_cnn] [--device cpu|cuda]
                                    [--bound 256] [--threads N] [--repeats 2]

Every size up to ``--bound`` is timed (the executor's probe stops at the first size that
does not pay), each ``--repeats`` times, so that the whole curve and its noise show. Prints
seconds per step and per member for each size and repeat, the size each repeat picks, and
ends stdout with one JSON line: ``{"task": ..., "device": ..., "timings": [[[k, s], ...], ...],
"chosen": [k, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_to_target_methods as tm  # noqa: E402

TASK_EPOCHS = {"digits": 27, "fashion_mnist": 9, "fashion_cnn": 9}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", choices=list(TASK_EPOCHS), default="digits")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bound", type=int, default=256, help="the largest stack timed")
    ap.add_argument("--threads", type=int, default=1, help="NNTUNE_THREADS for the CPU (default 1)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    if args.bound < 1 or args.repeats < 1:
        ap.error("--bound and --repeats must be at least 1")
    os.environ["NNTUNE_THREADS"] = str(args.threads)
    import torch

    from nntune.builtin import default_priors, trial_hyperparameters
    from nntune.builtin_stack import MemberPlan, StackTrainer
    from nntune.train.stack_size import pick_population, probe_sizes, step_seconds

    torch.set_num_threads(args.threads)
    task = tm.make_task(args.task, TASK_EPOCHS[args.task], 1.0)
    cfg = tm.task_config(task, f"{args.task}-stack-size")
    space = cfg.build_space()
    trainer = StackTrainer(cfg, space, tm.load_task(task), device=args.device, epochs=task.epochs)
    params = trial_hyperparameters(cfg, default_priors(cfg, space), task.epochs)
    plan = MemberPlan(params, 0, trainer.structure(params))
    print(f"{args.task} on {trainer.device}, {args.threads} CPU thread(s), load {os.getloadavg()[0]:.1f}: "
          f"seconds per training step (per member) of a stack of k")
    runs, chosen = [], []
    for repeat in range(args.repeats):
        timings = []
        for k in probe_sizes(args.bound):
            try:
                stack = trainer.stack(plan, k)
                stack.add(plan.params, seed=plan.seed)
                timings.append((k, step_seconds(stack)))
            except torch.OutOfMemoryError:
                break
            del stack
        runs.append(timings)
        chosen.append(pick_population(timings))
        print(f"repeat {repeat + 1}: chosen {chosen[-1]:>4} | "
              + "  ".join(f"{k}: {s * 1e3:.2f} ms ({s / k * 1e3:.3f})" for k, s in timings), flush=True)
    out = {"task": args.task, "device": str(trainer.device), "threads": args.threads,
           "timings": [[[k, round(s, 6)] for k, s in t] for t in runs], "chosen": chosen}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
