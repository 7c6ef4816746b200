"""Throughput of the stacked trainer: K configurations in one stack against the same K
trained one at a time with ``fit`` and against 2 worker processes running ``fit``.

Each configuration has its own lr, momentum and weight decay (SGD with momentum).

* MLP: 2 hidden layers x 128, batch 64, 10 epochs, on sklearn's digits;
* CNN: 2 conv blocks (8, 16 filters) + 64 units, batch 64, on mnist_5k.

    python benchmarks/stacked.py [--quick] [--threads 2] [--shards auto|N] [--device cpu|cuda] [--k 1 4 16 32 64]
                                 [--epochs N] [--amp] [--conv-layout nchw|channels_last] [--cudnn-benchmark on|off]

Both contenders run on the intra-op threads nntune's own rule gives a training run
(:mod:`nntune.train.threads`, ``--threads auto``, the default): every free core, one
thread on a busy machine, where two threads mostly wait on each other (measured: 32
stacked MLPs took 7.0 s on 2 threads and 1.5 s on 1 beside other work), and one thread
for a run whose step is too small to share (``SMALL_STEP_FLOPS``): a digits MLP trained
alone gets one thread, a stack of 32 of them the free cores. The table says which each
got. ``--threads N`` fixes the count for both (``NNTUNE_THREADS``). A stack given N > 1
threads trains as N shards side by side, one thread each (``fit_stack(shards="auto")``);
``--shards 1`` keeps one stack on N intra-op threads, as before. Shards are forked
processes where that is safe (``nntune.train.stack_fork``); ``--shard-mode threads``
runs them as threads of one process instead, to compare.

Prints a table of wall times and ratios (one-at-a-time / stacked, workers / stacked). The
speedups are ratios within one run; other processes on the machine slow all contenders
alike only if they run alike, so the load (``os.getloadavg``) is printed too. ``--quick``
runs K=32 only, the CNN for 2 epochs, and ends stdout with one JSON line:
``{"mlp": {"k": 32, "speedup": x}, "cnn": {"k": 32, "speedup": y}}``.

``--amp`` trains both contenders in mixed precision (every configuration's ``amp: true``:
float16 with a gradient scaler alone, bfloat16 stacked), as a GPU user would; on the CPU
it changes nothing. ``--conv-layout`` and ``--cudnn-benchmark`` set the stacked CNN's
convolution settings for this device (the stack's defaults otherwise; the solo runs keep
``fit``'s own): ``benchmarks/stack_kernels.py --device cuda`` names the fastest, and
``scripts/gpu-check.sh`` passes its choice on.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time
from typing import Any

import numpy as np
import torch

from nntune.train.data import load_splits
from nntune.train.loop import count_outputs, fit, model_input_shape
from nntune.train.models import build_model
from nntune.train.splits import Splits
from nntune.train import stack_models, stack_run
from nntune.train.stack_models import DEFAULT_CONV_LAYOUT, DEFAULT_CUDNN_BENCHMARK
from nntune.train.stack_fork import can_fork
from nntune.train.stack_run import fit_stack, shard_count
from nntune.train.threads import step_flops, threads_for_work, use_threads

MLP = {"model": "mlp", "layers": 2, "units": 128, "batch_size": 64, "epochs": 10}
CNN = {"model": "cnn", "conv_layers": 2, "filters": 8, "units": 64, "batch_size": 64, "epochs": 10}


def configs(base: dict[str, Any], k: int, epochs: int) -> list[dict[str, Any]]:
    """K configurations with their own lr, momentum and weight decay (log-spaced, seeded)."""
    rng = np.random.default_rng(k)
    # lr below 0.05: above it SGD on these networks is chaotic, and rounding alone (one
    # summation order against another) decides where a run ends, so values stop being comparable.
    return [{**base, "epochs": epochs, "optimizer": "momentum", "lr": float(10 ** rng.uniform(-3, -1.3)),
             "momentum": float(rng.uniform(0.5, 0.9)), "weight_decay": float(10 ** rng.uniform(-5, -3))}
            for _ in range(k)]


_SPLITS: Splits | None = None


def _worker_init(data: str, threads: int, opts: dict[str, Any]) -> None:
    global _SPLITS
    torch.set_num_threads(threads)
    _SPLITS = load_splits(data, **opts)


def _worker_fit(job: tuple[dict[str, Any], int]) -> float:
    assert _SPLITS is not None
    return fit(job[0], _SPLITS, seed=job[1], device="cpu").history[-1]["value"]


def one_at_a_time(cfgs: list[dict[str, Any]], splits: Splits, device: str) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    values = [fit(c, splits, seed=i, device=device).history[-1]["value"] for i, c in enumerate(cfgs)]
    return time.perf_counter() - t0, values


SHARDS: int | str = "auto"


def stacked(cfgs: list[dict[str, Any]], splits: Splits, device: str) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    results = fit_stack(cfgs, splits, seeds=list(range(len(cfgs))), device=device, shards=SHARDS)
    return time.perf_counter() - t0, [r.history[-1]["value"] for r in results]


def workers(cfgs: list[dict[str, Any]], data: str, opts: dict[str, Any], n: int = 2) -> float:
    """``n`` processes of 1 thread each; the pool's start-up (data loading) is not timed."""
    with mp.get_context("spawn").Pool(n, initializer=_worker_init, initargs=(data, 1, opts)) as pool:
        pool.map(_worker_fit, [(cfgs[0], 0)] * n)  # warm: imports and data loaded in every worker
        t0 = time.perf_counter()
        pool.map(_worker_fit, [(c, i) for i, c in enumerate(cfgs)], chunksize=1)
        return time.perf_counter() - t0


def stack_flops(base: dict[str, Any], splits: Splits, k: int) -> float:
    """A training step of k members of ``base``, in floating-point operations."""
    shape, n_out = model_input_shape(splits, None), count_outputs(splits)
    with torch.random.fork_rng(devices=[]):
        model = build_model(base, shape, n_out)
    return k * step_flops(model, shape, int(base["batch_size"]))


def run_threads(base: dict[str, Any], splits: Splits, k: int) -> int:
    """The threads ``fit`` (k = 1) or a stack of k members trains ``base`` on here."""
    if os.environ.get("NNTUNE_THREADS", "auto") not in ("", "auto"):
        return torch.get_num_threads()
    return threads_for_work(torch.get_num_threads(), stack_flops(base, splits, k))


def run(name: str, base: dict[str, Any], data: str, opts: dict[str, Any], ks: list[int], epochs: int,
        device: str, with_workers: bool, repeats: int = 1) -> dict[int, float]:
    splits = load_splits(data, **opts)
    warm = configs(base, 1, 1)
    one_at_a_time(warm, splits, device)  # first calls import and initialize lazily: time neither with them
    stacked(warm, splits, device)
    speedups: dict[int, float] = {}
    print(f"\n{name} on {data} ({len(splits.y_train)} training samples), {epochs} epochs, device {device}")
    if device == "cpu":
        threads = run_threads(base, splits, ks[0])
        shards = shard_count(SHARDS, ks[0], torch.device("cpu"), stack_flops(base, splits, ks[0]), threads, True, 0,
                             None, False)
        print(f"threads: one at a time {run_threads(base, splits, 1)}, stacked K={ks[0]} {threads} "
              f"(nntune's rule for each run's work per step)"
              + (f", as {shards} shards of 1 thread" + (" each in a process of its own" if stack_run.SHARD_PROCESSES == "auto"
                                                          and can_fork() else " of one process")
                 if shards > 1 else ""))
    print(f"{'K':>4} {'one at a time s':>16} {'stacked s':>10} {'speedup':>8} {'2 workers s':>12} {'vs workers':>10}"
          f" {'max |value diff|':>17}")
    for k in ks:
        cfgs = configs(base, k, epochs)
        # Alternated and the medians taken, so a change in the machine's load hits both alike.
        solo_runs, stack_runs = [], []
        for _ in range(repeats):
            solo_runs.append(one_at_a_time(cfgs, splits, device))
            stack_runs.append(stacked(cfgs, splits, device))
        solo_s, stack_s = statistics.median(t for t, _ in solo_runs), statistics.median(t for t, _ in stack_runs)
        solo_v, stack_v = solo_runs[0][1], stack_runs[0][1]
        work_s = workers(cfgs, data, opts) if with_workers else float("nan")
        speedups[k] = solo_s / stack_s
        diff = max(abs(a - b) for a, b in zip(solo_v, stack_v))
        print(f"{k:>4} {solo_s:>16.2f} {stack_s:>10.2f} {speedups[k]:>7.1f}x {work_s:>12.2f} "
              f"{work_s / stack_s:>9.1f}x {diff:>17.4f}", flush=True)
    return speedups


def main(argv: list[str] | None = None) -> dict[str, dict[int, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K=32 only, CNN for 2 epochs, JSON line at the end")
    parser.add_argument("--threads", default="auto",
                        help="torch intra-op threads for the one-at-a-time and stacked runs: auto (nntune's rule:"
                             " every free core, one on a busy machine) or a count; workers use 1 each")
    parser.add_argument("--shard-mode", choices=("processes", "threads"), default="processes",
                        help="shards as forked processes (where safe, the default) or as threads of this process")
    parser.add_argument("--shards", default="auto",
                        help="fit_stack's shards: auto (one per thread the stack gets) or a count (1: one stack"
                             " on every thread)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=None, help="alternating runs per K (default: 3 MLP, 1 CNN)")
    parser.add_argument("--k", type=int, nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of every training run (default: 10; the CNN 2 with --quick)")
    parser.add_argument("--only", choices=("mlp", "cnn"), default=None, help="run one of the two networks")
    parser.add_argument("--no-workers", action="store_true", help="skip the 2-process comparison")
    parser.add_argument("--amp", action="store_true", help="mixed precision for both contenders (amp: true)")
    parser.add_argument("--conv-layout", choices=("channels_last", "nchw"), default=None,
                        help="the stacked CNN's convolution layout on this device (default: the stack's)")
    parser.add_argument("--cudnn-benchmark", choices=("on", "off"), default=None,
                        help="cudnn.benchmark while the stack trains (default: the stack's, left as it is)")
    parser.add_argument("--slice-bytes", type=int, default=None,
                        help="the stacked CNN's slice budget in bytes (see nntune.train.stack_chunks; a huge"
                             " one: the whole batch at once), to compare")
    args = parser.parse_args(argv)
    device_type = torch.device(args.device).type
    if args.slice_bytes is not None:
        if args.slice_bytes < 1:
            parser.error(f"--slice-bytes: an integer >= 1, got {args.slice_bytes}")
        stack_models.SLICE_BYTES = args.slice_bytes
    if args.conv_layout:
        DEFAULT_CONV_LAYOUT[device_type] = args.conv_layout
    if args.cudnn_benchmark:
        DEFAULT_CUDNN_BENCHMARK[device_type] = args.cudnn_benchmark == "on"
    amp = {"amp": True} if args.amp else {}
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs: an integer >= 1, got {args.epochs}")
    if args.threads == "auto":
        choice = use_threads(device=args.device)
        why = choice.reason if choice is not None else "left as they are on an accelerator"
    elif args.threads.isdigit() and int(args.threads) >= 1:
        os.environ["NNTUNE_THREADS"] = args.threads  # fixed for fit and the stack alike: no size rule
        torch.set_num_threads(int(args.threads))
        why = "--threads"
    else:
        parser.error(f"--threads: auto or an integer >= 1, got {args.threads!r}")
    global SHARDS
    if args.shards != "auto" and not (args.shards.isdigit() and int(args.shards) >= 1):
        parser.error(f"--shards: auto or an integer >= 1, got {args.shards!r}")
    SHARDS = "auto" if args.shards == "auto" else int(args.shards)
    stack_run.SHARD_PROCESSES = "auto" if args.shard_mode == "processes" else "never"
    ks = args.k or ([32] if args.quick else [1, 4, 16, 32, 64])
    benchmark = DEFAULT_CUDNN_BENCHMARK.get(device_type)
    print(f"torch threads {torch.get_num_threads()} ({why}), load average {os.getloadavg()}; stacked convolutions "
          f"{DEFAULT_CONV_LAYOUT.get(device_type, 'channels_last')}, cudnn.benchmark "
          f"{'as it is' if benchmark is None else 'on' if benchmark else 'off'}" + (", mixed precision" if args.amp else ""))
    with_workers = not args.no_workers and args.device == "cpu"
    out: dict[str, dict[int, float]] = {}
    if args.only in (None, "mlp"):
        out["mlp"] = run("MLP 2x128", {**MLP, **amp}, "digits", {}, ks, args.epochs or 10, args.device, with_workers,
                         args.repeats or 3)
    if args.only in (None, "cnn"):
        out["cnn"] = run("CNN 8-16 filters", {**CNN, **amp}, "mnist_5k", {}, ks, args.epochs or (2 if args.quick else 10),
                         args.device, with_workers, args.repeats or 1)
    print(f"load average after {os.getloadavg()}")
    k = 32 if 32 in ks else ks[-1]
    print(json.dumps({name: {"k": k, "speedup": round(speedups[k], 2)} for name, speedups in out.items()}))
    return out


if __name__ == "__main__":
    main()
