"""How many images a slice should the stacked CNN's first layers take on this CPU?

The stacked CNN runs its layers before the flatten a slice of the batch at a time, so
that their activations stay in the core's cache (:mod:`nntune.train.stack_chunks`). This
times the training steps (forward and backward, ``Stack.forward_backward``) of the
benchmark CNN (2 conv blocks of 8 and 16 filters, 64 units, batch 64, on ``mnist_5k``)
stacked K at a time, with each slice budget in turn and the whole batch at once, in CPU
time on one thread, alternated, median of the rounds.

    python benchmarks/stack_slices.py [--k 4 16 32] [--budgets 0.5 1 2 4 8] [--steps 20] [--rounds 5]

Budgets are in MB (the most a slice's largest activation may hold); ``whole`` is the batch
at once. Results are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from nntune.train.data import load_splits
from nntune.train.heap import retained_heap
from nntune.train.stack import Stack

CNN = {"model": "cnn", "conv_layers": 2, "filters": 8, "units": 64, "batch_size": 64, "epochs": 1,
       "optimizer": "momentum", "lr": 0.05, "momentum": 0.9}
WHOLE = 1 << 50


def steps_ms(stack: Stack, budget: int, batches: list[torch.Tensor]) -> float:
    """CPU milliseconds a training step takes with ``budget`` (median of ``batches``)."""
    stack.net.slice_bytes = budget
    mask = torch.ones(stack.capacity)
    times = []
    for idx in batches:
        t0 = time.thread_time()
        stack.forward_backward(idx, mask)
        times.append(time.thread_time() - t0)
    return statistics.median(times) * 1e3


@retained_heap()  # as the stack's epochs run: large activations reused, not faulted in again
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[4, 16, 32])
    parser.add_argument("--budgets", type=float, nargs="+", default=[0.5, 1, 2, 4, 8], help="MB")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per budget and round")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    args = parser.parse_args(argv)
    if any(b <= 0 for b in args.budgets) or min(args.k) < 1 or args.steps < 1 or args.rounds < 1:
        parser.error("--budgets must be > 0, --k, --steps and --rounds >= 1")
    torch.set_num_threads(1)
    splits = load_splits("mnist_5k")
    print(f"one thread, load average {os.getloadavg()}; CPU ms a training step (forward and backward), "
          f"median of {args.rounds} alternated rounds of {args.steps} steps")
    budgets = {"whole": WHOLE, **{f"{b:g} MB": int(b * (1 << 20)) for b in args.budgets}}
    for k in args.k:
        stack = Stack(CNN, splits, capacity=k, device="cpu", seed=0)
        for i in range(k):
            stack.add({**CNN, "lr": 0.01 * (1 + i % 5)}, seed=i)
        gen = torch.Generator().manual_seed(k)
        batches = [torch.randint(0, len(splits.y_train), (k, 64), generator=gen) for _ in range(args.steps)]
        steps_ms(stack, WHOLE, batches[:3])  # warm: the allocator's heap and oneDNN's kernels
        runs: dict[str, list[float]] = {name: [] for name in budgets}
        for _ in range(args.rounds):
            for name, budget in budgets.items():
                runs[name].append(steps_ms(stack, budget, batches))
        whole = statistics.median(runs["whole"])
        cells = "  ".join(f"{name} {statistics.median(ms):6.1f} ({whole / statistics.median(ms):4.2f}x)"
                          for name, ms in runs.items())
        print(f"K={k:<3} {cells}", flush=True)


if __name__ == "__main__":
    main()
