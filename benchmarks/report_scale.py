"""How long ``write_report`` and ``show_data`` take on a large study.

Builds a synthetic study of ``--trials`` trials (default 10,000) in an SQLite file through
the storage API: each trial has four parameters and reports ``--epochs`` full per-epoch
records (losses, accuracy, learning rate, three layers' statistics); about a third are
stopped early at an ASHA-like rung, a few diverge; the study ends with one test
evaluation. Then it times the report and ``nntune show``'s data, and prints the numbers.

    .venv/bin/python benchmarks/report_scale.py [--trials 10000] [--epochs 20] [--db PATH]

With ``--db`` an existing file is reused (built on the first run), so the timings can be
repeated without rebuilding.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nntune.report import write_report
from nntune.show import show_data
from nntune.space import Choice, Float, Int, Space
from nntune.storage import Storage, get_storage
from nntune.trial import TrialState

STUDY = "scale"
SPACE = Space({"lr": Float(1e-5, 1.0, log=True), "units": Int(16, 512, log=True),
               "dropout": Float(0.0, 0.5), "optimizer": Choice(("sgd", "momentum", "adam"))})
RUNGS = (1, 3, 9)


def synthetic_curve(params: dict[str, Any], epochs: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Per-epoch records whose shape depends on the parameters: the learning rate sets the
    speed (too small: slow; too large: noisy), units and dropout the train/validation gap."""
    speed = min(1.0, params["lr"] * 300)
    final_err = 0.02 + 0.3 * abs(math.log10(params["lr"]) + 2.5) / 3 + 0.05 * (params["optimizer"] == "sgd")
    gap = 0.03 * math.log2(params["units"] / 16) * (0.6 - params["dropout"])
    noise = 0.02 + 0.2 * max(0.0, math.log10(params["lr"]) + 1)
    records = []
    for e in range(1, epochs + 1):
        progress = 1 - math.exp(-speed * e)
        val_err = min(0.9, 0.9 - (0.9 - final_err) * progress + noise * rng.standard_normal() * 0.3)
        train_err = max(0.0, val_err - gap * progress)
        records.append({
            "epoch": e, "iterations": 17 * e, "train_loss": 2.3 * train_err + 0.01, "train_accuracy": 1 - train_err,
            "val_loss": 2.3 * val_err + 0.01, "val_accuracy": 1 - val_err, "value": 1 - val_err, "lr": params["lr"],
            "epoch_time": 0.05, "layers": [
                {"name": name, "grad_norm": float(0.3 * rng.lognormal(0, 0.2)), "act_mean": 0.3,
                 "act_std": 0.6, "act_zero_frac": 0.5 if name != "head" else 0.0}
                for name in ("fc1", "fc2", "head")]})
    return records


def build_study(storage: Storage, n_trials: int, epochs: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    sid = storage.create_study(STUDY, "maximize", {"space": SPACE.to_json(), "seed": seed})
    dists = dict(SPACE.params)
    best: tuple[float, int] = (-1.0, 0)
    for _ in range(n_trials):
        params = SPACE.sample(rng)
        number = storage.create_trial(sid, params=params, distributions=dists)
        records = synthetic_curve(params, epochs, rng)
        stop = epochs
        rung = int(rng.integers(len(RUNGS)))
        if rng.random() < 0.35 and RUNGS[rung] < epochs:
            stop = RUNGS[rung]
            storage.set_trial_system_attr(sid, number, "rung", rung)
        if params["lr"] > 0.5 and rng.random() < 0.5:
            storage.report(sid, number, 1, records[0]["value"], records[0])
            storage.set_trial_system_attr(sid, number, "diverged_epoch", 2)
            storage.finish_trial(sid, number, TrialState.DIVERGED, error="training loss is nan at epoch 2")
            continue
        for rec in records[:stop]:
            storage.report(sid, number, rec["epoch"], rec["value"], rec)
        value = records[stop - 1]["value"]
        storage.finish_trial(sid, number, TrialState.PRUNED if stop < epochs else TrialState.COMPLETE, value)
        if stop == epochs and value > best[0]:
            best = (value, number)
    cm = [[int(rng.integers(0, 5)) + (40 if i == j else 0) for j in range(10)] for i in range(10)]
    storage.record_test_evaluation(sid, best[1], {"accuracy": 0.95, "precision": 0.95, "recall": 0.95,
                                                 "f1": 0.95, "confusion_matrix": cm})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--db", type=Path, default=None, help="SQLite file to build (or reuse); kept")
    ap.add_argument("--out", type=Path, default=None, help="where to keep the report (default: not kept)")
    args = ap.parse_args(argv)
    # tmpfs when there is one: building the study commits once per report.
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        return run(args.db or Path(tmp) / "study.db", args.out or Path(tmp) / "report.html", args.trials, args.epochs)


def run(db: Path, report: Path, trials: int, epochs: int) -> int:
    url = f"sqlite:///{db}"
    storage = get_storage(url)
    if storage.load_study(STUDY) is None:
        t0 = time.perf_counter()
        build_study(storage, trials, epochs)
        print(f"built {trials} trials x {epochs} epochs in {time.perf_counter() - t0:.1f} s ({db})", flush=True)
    storage = get_storage(url)  # a fresh handle: nothing cached
    n = len(storage.get_trials(storage.load_study(STUDY).id))  # type: ignore[union-attr]

    # Wall time, and this process's CPU time: on a machine shared with other jobs the wall
    # time grows with their load, the CPU time much less.
    t0, c0 = time.perf_counter(), time.process_time()
    out = write_report(url, STUDY, report)
    t_report, c_report = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    data = show_data(url, STUDY)
    t_show, c_show = time.perf_counter() - t0, time.process_time() - c0
    flagged = sum(bool(t["findings"]) for t in data["trials"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"study: {n} trials; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"write_report: {t_report:.2f} s wall, {c_report:.2f} s CPU ({out.stat().st_size / 1e6:.1f} MB at {out})")
    print(f"show_data:    {t_show:.2f} s wall, {c_show:.2f} s CPU ({flagged} trials with findings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
