"""``nntune tune`` on a machine shared with one CPU-bound process, against the same run alone.

Runs the embedded default (an MLP on scikit-learn's digits, 20 trials) in a fresh storage,
once alone and once beside a competing process that spins on one core, and prints both
wall-clock times and their ratio. On a machine with two cores a fair share is half of it,
so the goal is a ratio of at most 2.2. With ``--baseline`` the same two runs are repeated
as torch behaves by default (one thread per core whatever the load: ``NNTUNE_THREADS``
fixed at the core count): the comparison says what the thread rule of
``nntune.train.threads`` buys, and that alone it is no slower.

    python benchmarks/shared_machine.py                 # about 2 minutes on 2 quiet cores
    python benchmarks/shared_machine.py --baseline      # adds torch's default (slow when shared)
    python benchmarks/shared_machine.py --trials 6      # a shorter study

The load average before each run is printed beside it: other work on the machine skews
every number here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SPIN = "while True:\n    pass\n"
# torch's own behaviour: the app run without ``main``'s error handling; its threads are
# fixed by ``environment`` below.
DEFAULT_TORCH = "import sys; from nntune.cli import app; sys.argv[0] = 'nntune'; app()"


@dataclass
class Run:
    mode: str
    competing: bool
    seconds: float
    load: float
    trials: int


def nntune_command(mode: str) -> list[str]:
    if mode == "rule":
        return [sys.executable, "-c", "from nntune.cli import main; main()"]
    return [sys.executable, "-c", DEFAULT_TORCH]


def environment(mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "NNTUNE_THREADS")}
    if mode == "torch default":
        env["NNTUNE_THREADS"] = str(len(os.sched_getaffinity(0)))
    return env


def run_once(mode: str, competing: bool, trials: int | None) -> Run:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nntune-shared-") as tmp:
        spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if competing else None
        try:
            args = ["tune", "--storage", f"sqlite:///{Path(tmp) / 'bench.db'}", "--study", "bench", "--json",
                    "--report", str(Path(tmp) / "report.html")]
            if trials is not None:
                args += ["--trials", str(trials)]
            start = time.perf_counter()
            done = subprocess.run([*nntune_command(mode), *args], cwd=tmp, env=environment(mode),
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - start
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
    if done.returncode != 0:
        raise SystemExit(f"nntune tune failed ({mode}):\n{done.stderr[-2000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(mode, competing, seconds, load, sum(summary["trials"].values()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None, help="trials per study (default: the config's 20)")
    parser.add_argument("--baseline", action="store_true", help="also run with torch's default threads")
    args = parser.parse_args(argv)
    modes = ["rule", "torch default"] if args.baseline else ["rule"]
    runs: list[Run] = []
    for mode in modes:
        for competing in (False, True):
            run = run_once(mode, competing, args.trials)
            runs.append(run)
            print(f"{mode:14s} {'with one competing process' if competing else 'alone':28s} "
                  f"{run.seconds:7.1f} s  ({run.trials} trials; load average before: {run.load:.2f})", flush=True)
    for mode in modes:
        alone, shared = (next(r for r in runs if r.mode == mode and r.competing is c) for c in (False, True))
        print(f"{mode}: shared / alone = {shared.seconds / alone.seconds:.2f} (goal: at most 2.2)")
    if args.baseline:
        rule, torch_default = (next(r for r in runs if r.mode == m and not r.competing) for m in modes)
        print(f"alone, rule / torch default = {rule.seconds / torch_default.seconds:.2f} (goal: at most 1)")
    print(f"cores: {len(os.sched_getaffinity(0))}; uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
