"""Where a stacked fit's time goes, phase by phase: building the stack and adding its K
members, the training steps, validation, taking the results out, and the rest of each
epoch (records, metrics, early stopping, activation and gradient statistics).

``stacked.py``'s configurations (each member its own lr, momentum and weight decay), one
stack of K (no shards), trained for ``--epochs``. Each phase is timed by wrapping the
stack's own methods (``Stack.add``, ``train_step``, ``predict``, ``result``); on CUDA every
wrapped call ends with ``torch.cuda.synchronize()``, so a phase holds its kernels, and the
steps lose the overlap of one step's host work with the last one's kernels (a few percent
of a GPU step: ``stack_kernels.py`` times steps without it). "total" is the whole
``fit_stack``-like run, and "rest" what is left of it: the per-member work at each epoch's
end. Why: at K = 128 on an H200 the stacked CNN's 94 steps were about a third of its
1.28 s, and the 30x goal hangs on the other two thirds.

    python benchmarks/stack_phases.py [--device cpu|cuda] [--model cnn|mlp] [--k 32 128] [--epochs 2]
    python benchmarks/stack_phases.py --device cuda --k 32 128 --profile 128

Prints one row per K (seconds, and ms per member for the per-member phases) and ends
stdout with one JSON line: ``{"device": ..., "model": ..., "<K>": {"add": s, ...}}``.
``--profile K`` adds, before that line, one more fit of K members under ``cProfile``
without the phase timers, and its top functions by their own time and by their callees'
too: within a phase, which call it is (on CUDA a function that waits for the device shows
the wait as its own time, so the profile also finds where a step blocks).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stacked  # noqa: E402  a sibling script: its configurations

from nntune.train.data import load_splits  # noqa: E402
from nntune.train.stack import Stack  # noqa: E402

PHASES = ("add", "train_step", "predict", "result")  # the Stack methods timed


@contextmanager
def timed_methods(device: torch.device, spent: dict[str, float]) -> Iterator[None]:
    """Every call of :data:`PHASES` adds its seconds to ``spent[name]`` while the block runs;
    the methods are put back after it."""
    sync: Callable[[], None] = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    originals = {name: getattr(Stack, name) for name in PHASES}

    def wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            sync()
            t0 = time.perf_counter()
            out = method(*args, **kwargs)
            sync()
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
            return out
        return timed

    for name, method in originals.items():
        setattr(Stack, name, wrap(name, method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(Stack, name, method)


def built(cfgs: list[dict[str, Any]], splits: Any, device: torch.device) -> Stack:
    """One stack holding every configuration, member i seeded i."""
    stack = Stack(cfgs[0], splits, capacity=len(cfgs), device=device, seed=0)
    for i, cfg in enumerate(cfgs):
        stack.add(cfg, seed=i, key=i)
    return stack


def run_once(cfgs: list[dict[str, Any]], splits: Any, device: torch.device) -> dict[str, float]:
    """One stack of every configuration trained to its end; seconds by phase."""
    spent: dict[str, float] = {}
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with timed_methods(device, spent):
        sync()
        t0 = time.perf_counter()
        stack = built(cfgs, splits, device)
        t_added = time.perf_counter()
        results = stack.run()
        sync()
        t1 = time.perf_counter()
    assert len(results) == len(cfgs)
    spent["build"] = t_added - t0 - spent.get("add", 0.0)  # the stack itself: data moved, template built
    spent["total"] = t1 - t0
    spent["rest"] = spent["total"] - sum(spent.get(name, 0.0) for name in (*PHASES, "build"))
    return spent


def print_profile(cfgs: list[dict[str, Any]], splits: Any, device: torch.device, top: int = 25) -> None:
    """One stack of ``cfgs`` built and trained under ``cProfile``, no phase timers (their
    synchronizations would land in every function on CUDA); prints its ``top`` functions by
    their own time, then by the time with their callees."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    profiler = cProfile.Profile()
    profiler.enable()
    results = built(cfgs, splits, device).run()
    sync()
    profiler.disable()
    assert len(results) == len(cfgs)
    for order, title in (("tottime", "own time"), ("cumulative", "with callees")):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(top)
        print(f"\ncProfile of one fit of K = {len(cfgs)}, by {title}:")
        print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()), flush=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument("--k", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on the CPU (default 1)")
    parser.add_argument("--train-size", type=int, default=None, help="train on fewer images or rows")
    parser.add_argument("--profile", type=int, default=None, metavar="K",
                        help="then one fit of K members under cProfile: its top functions")
    args = parser.parse_args(argv)
    if min(args.k) < 1 or args.epochs < 1 or args.threads < 1 or (args.profile is not None and args.profile < 1):
        parser.error("--k, --epochs, --threads and --profile: integers >= 1")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no GPU (torch.cuda.is_available() is False)")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    base, data = (stacked.CNN, "mnist_5k") if args.model == "cnn" else (stacked.MLP, "digits")
    splits = load_splits(data, train_size=args.train_size)
    run_once(stacked.configs(base, 2, 1), splits, device)  # lazy initialization and first kernels: untimed
    print(f"{args.model} on {data} ({len(splits.y_train)} training, {len(splits.y_val)} validation samples), "
          f"{args.epochs} epochs, {device}, load {os.getloadavg()[0]:.1f}; seconds (ms per member)")
    columns = ("build", "add", "train_step", "predict", "rest", "result", "total")
    print(f"{'K':>5}" + "".join(f"{c:>17}" for c in columns))
    out: dict[str, Any] = {"device": str(device), "model": args.model, "epochs": args.epochs}
    for k in args.k:
        spent = run_once(stacked.configs(base, k, args.epochs), splits, device)
        cells = [f"{spent.get(c, 0.0):8.3f}" + (f" ({1000 * spent.get(c, 0.0) / k:5.2f})"
                                                if c in ("add", "result", "rest") else " " * 8) for c in columns]
        print(f"{k:>5}" + "".join(f"{cell:>17}" for cell in cells), flush=True)
        out[str(k)] = {c: round(spent.get(c, 0.0), 4) for c in columns}
    if args.profile is not None:
        print_profile(stacked.configs(base, args.profile, args.epochs), splits, device)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
