"""When shards beat one stack: K digits MLPs as 2 shards of one thread each against one stack
on 1 and on 2 intra-op threads, alternated, with wall and CPU time.

    python benchmarks/stack_shards.py [--k 16 32 64] [--repeats 3] [--epochs 10] [--busy]

The MLP is benchmarks/stacked.py's (2 x 128, batch 64, SGD with momentum, own lr, momentum and
weight decay per member). Each repeat runs the three contenders one after another, so a change
in the machine's load hits all alike; the table gives each one's median wall and CPU seconds
and ``cores`` (CPU / wall: 2 shards that overlap use nearly 2, shards that wait on each other
1). ``one stack, watched`` starts on 2 threads under nntune's own rule, which looks at the
machine every 0.2 s and trains on the cores other work leaves free. ``--busy`` runs the whole comparison beside one CPU-bound process (a Python loop started
here and stopped at the end), as when another run takes a core. ``steal`` is the time the
hypervisor took from this machine's cores during the run (``/proc/stat``, all cores),
printed beside the load average, since both distort wall times. Alone it takes about 30 s
on 2 cores, with ``--busy`` about 50 s.
Ends with the smallest K (of those run) whose shards beat one stack on 1 and on 2 threads,
and each shard's step in MFLOP there: what ``SHARD_MIN_FLOPS`` in
``nntune/train/stack_run.py`` is set from.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacked import MLP, configs  # noqa: E402 - benchmarks/ is no package

from nntune.train.data import load_splits  # noqa: E402
from nntune.train.loop import resolve_params  # noqa: E402
from nntune.train.stack_run import fit_stack, member_step_flops  # noqa: E402

# (name, threads, shards); threads 0: two, sized and watched by nntune's rule (NNTUNE_THREADS
# auto), so the stack gives a core back while other work holds it (threads.LoadWatch)
CONTENDERS = (("one stack, 1 thread", 1, 1), ("one stack, 2 threads", 2, 1), ("2 shards", 2, 2),
              ("one stack, watched", 0, 1))


def steal_seconds() -> float:
    """Seconds the hypervisor has taken from this machine's cores since boot (0 where unknown)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def timed(cfgs: list[dict], splits: object, threads: int, shards: int) -> tuple[float, float, float]:
    """Wall, CPU and steal seconds of one ``fit_stack`` on ``threads`` threads as ``shards``
    (``threads`` 0: two, under nntune's rule)."""
    if threads:
        os.environ["NNTUNE_THREADS"] = str(threads)  # fixed: no size rule between the contenders
    else:
        os.environ.pop("NNTUNE_THREADS", None)
    torch.set_num_threads(threads or 2)
    steal, wall, cpu = steal_seconds(), time.perf_counter(), cpu_seconds()
    fit_stack(cfgs, splits, seeds=list(range(len(cfgs))), device="cpu", shards=shards)  # type: ignore[arg-type]
    return time.perf_counter() - wall, cpu_seconds() - cpu, steal_seconds() - steal


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children it has reaped: shards are forked
    processes where that is safe (nntune.train.stack_fork), reaped when they end."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--busy", action="store_true", help="beside one CPU-bound process")
    args = parser.parse_args()
    # one core's worth of other work: a bare interpreter spinning (it starts in milliseconds)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        compare(args.k, args.repeats, args.epochs, busy is not None)
    finally:
        if busy is not None:
            busy.terminate()
            busy.wait()


def compare(ks: list[int], repeats: int, epochs: int, busy: bool) -> dict[int, dict[str, tuple[float, float]]]:
    """Prints the table; returns each K's and contender's median wall and CPU seconds."""
    splits = load_splits("digits")
    fit_stack(configs(MLP, 2, 1), splits, seeds=[0, 1], device="cpu", shards=2)  # lazy initialization, untimed
    member = member_step_flops(resolve_params(configs(MLP, 1, 1)[0], splits.task_type), splits)
    print(f"digits MLP 2x128, {epochs} epochs, {member / 1e6:.1f} MFLOP a member-step, "
          f"{'beside one CPU-bound process' if busy else 'alone'}; load average {os.getloadavg()}")
    print(f"{'K':>4} {'contender':<22} {'wall s':>7} {'CPU s':>7} {'cores':>6} {'steal s':>8} {'load':>5}"
          "   runs (wall/CPU)")
    winner: int | None = None
    table: dict[int, dict[str, tuple[float, float]]] = {}
    for k in ks:
        cfgs = configs(MLP, k, epochs)
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in CONTENDERS}
        for _ in range(repeats):
            for name, threads, shards in CONTENDERS:
                runs[name].append(timed(cfgs, splits, threads, shards))
        load = os.getloadavg()[0]
        medians, table[k] = {}, {}
        for name, _, _ in CONTENDERS:
            wall = statistics.median(r[0] for r in runs[name])
            cpu = statistics.median(r[1] for r in runs[name])
            medians[name], table[k][name] = wall, (wall, cpu)
            listed = " ".join(f"{w:.2f}/{c:.2f}" for w, c, _ in runs[name])
            print(f"{k:>4} {name:<22} {wall:>7.2f} {cpu:>7.2f} {cpu / wall:>6.2f} "
                  f"{sum(r[2] for r in runs[name]):>8.2f} {load:>5.2f}   {listed}", flush=True)
        if winner is None and medians["2 shards"] < min(medians[n] for n, t, s in CONTENDERS if s == 1 and t):
            winner = k
    if winner is None:
        print("shards beat one stack at none of these K")
    else:
        print(f"smallest K whose 2 shards beat one stack on 1 and on 2 threads: {winner} "
              f"({winner // 2 * member / 1e6:.0f} MFLOP a shard-step)")
    return table


if __name__ == "__main__":
    main()
