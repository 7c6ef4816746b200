"""Record full learning curves of a few-trial task for offline replay of stopping rules.

Random configurations of one ``few_trials_tasks`` task each train every epoch (nothing is
stopped); for each, one JSON line: the parameters, the validation value and the seconds
(wall and the thread's CPU) of every epoch, and the test value. ``benchmarks/few_trials_replay.py``
replays stopping rules on the file. ``--jobs 2`` trains two at a time in threads
(``optimize(n_jobs=2)``, one torch thread each), as the few-trial race does.

    python benchmarks/few_trials_record.py --minutes 25 --jobs 2     # about 150 mnist_cnn curves
    # the file the replay reads by default:  benchmarks/data/mnist_cnn_curves.jsonl
    python benchmarks/few_trials_record.py --task wide_mlp --minutes 40            # about 130 curves
    python benchmarks/few_trials_record.py --task wide_mlp --minutes 30 --seed 1 --out /tmp/more.jsonl
    # benchmarks/data/wide_mlp_curves.jsonl holds both (235 curves, epochs 0.17x-10x the median cost)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import few_trials_tasks as ft  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def default_path(task: str) -> Path:
    return DATA / f"{task}_curves.jsonl"


class Timed:
    """The trial as the objective sees it, with the seconds of each epoch noted at each report."""

    def __init__(self, trial: Any) -> None:
        self._trial = trial
        self.values: list[float] = []
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._t0, self._c0 = time.perf_counter(), time.thread_time()

    def report(self, value: float, step: int) -> None:
        t, c = time.perf_counter(), time.thread_time()
        self.values.append(float(value))
        self.wall.append(t - self._t0)
        self.cpu.append(c - self._c0)
        self._t0, self._c0 = t, c
        self._trial.report(value, step)

    def should_prune(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trial, name)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=list(ft.TASKS), default="mnist_cnn")
    ap.add_argument("--minutes", type=float, default=25.0)
    ap.add_argument("--trials", type=int, default=None, help="stop after this many (default: by time)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    import torch

    import nntune
    from nntune.samplers import RandomSampler
    from nntune.schedulers import NoScheduler

    torch.set_num_threads(1)
    task = ft.TASKS[args.task]
    data = task.load()
    ft.warm_up()
    out = args.out or default_path(args.task)
    out.parent.mkdir(parents=True, exist_ok=True)
    make = task.make(data, nntune.TrialPruned)
    lock = threading.Lock()
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start; writing {out}", flush=True)

    def objective(trial: Any) -> float:
        timed = Timed(trial)
        value = make(timed)
        row = {"task": args.task, "seed": args.seed, "number": trial.number, "params": dict(trial.params),
               "values": timed.values,
               "wall_s": timed.wall, "cpu_s": timed.cpu, "final": value,
               "test": trial.user_attrs.get("test"), "load": os.getloadavg()[0]}
        with lock, out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        return value

    study = nntune.create_study(direction="maximize", sampler=RandomSampler(args.seed), scheduler=NoScheduler())
    study.optimize(objective, n_trials=args.trials, timeout=args.minutes * 60, n_jobs=args.jobs)
    print(f"{len(study.trials)} trials; load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
