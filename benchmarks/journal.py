"""The journal storage against SQLite: what a study of N trials costs to write, how large
its file is, and how long a new process takes to read it back.

Each trial is created, reports 30 epochs (a value and two losses each) and finishes, all
through the storage's own calls, one after another in one process; then a fresh storage
object on the same file reads every trial (a journal replays the whole file there), and
reads them again (a journal replays only what is new).

    python benchmarks/journal.py [--trials 2000] [--epochs 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nntune.space import Float
from nntune.storage import SQLStorage
from nntune.storage.journal import JournalStorage
from nntune.trial import TrialState


def open_storage(kind: str, path: Path) -> JournalStorage | SQLStorage:
    return JournalStorage(path) if kind == "journal" else SQLStorage(f"sqlite:///{path}")


def run(kind: str, folder: Path, trials: int, epochs: int) -> dict[str, float]:
    path = folder / f"study.{kind}"
    store = open_storage(kind, path)
    sid = store.create_study("s", "minimize")
    start = time.perf_counter()
    for _ in range(trials):
        n = store.create_trial(sid, params={"lr": 0.01}, distributions={"lr": Float(1e-4, 1.0, log=True)})
        for epoch in range(1, epochs + 1):
            store.report(sid, n, epoch, 1.0 / epoch, {"train_loss": 1.0 / epoch, "val_loss": 1.1 / epoch})
        store.finish_trial(sid, n, TrialState.COMPLETE, 0.1)
    write = time.perf_counter() - start
    start = time.perf_counter()
    fresh = open_storage(kind, path)
    assert len(fresh.get_trials(sid)) == trials
    first = time.perf_counter() - start
    start = time.perf_counter()
    fresh.get_trials(sid)
    again = time.perf_counter() - start
    return {"write_s": write, "ms_per_change": write / (trials * (epochs + 2)) * 1e3,
            "file_mb": path.stat().st_size / 1e6, "first_read_s": first, "next_read_ms": again * 1e3}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        print(f"{args.trials} trials x {args.epochs} reports")
        print("| storage | writes | per change | file | a new process's first read | the next read |")
        print("| --- | --- | --- | --- | --- | --- |")
        for kind in ("journal", "sqlite"):
            r = results[kind] = run(kind, Path(folder), args.trials, args.epochs)
            print(f"| {kind} | {r['write_s']:.1f} s | {r['ms_per_change']:.2f} ms | {r['file_mb']:.1f} MB | "
                  f"{r['first_read_s']:.2f} s | {r['next_read_ms']:.0f} ms |")
    return results


if __name__ == "__main__":
    main()
