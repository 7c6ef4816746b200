"""How wide a band of learning rates and seeds the ``lr-decay`` lab's claim holds over.

For each rate and seed, trains the lab's three schedules (constant, step, exponential)
exactly as ``nntune lab lr-decay`` does, but with ``lr`` replaced, for the full lab's 24
epochs, and judges the claim with the lab's own checks on all 24 epochs (the full lab) and
on the first 16 (the quick lab: its runs are these, stopped earlier, since no schedule
depends on the run's length). Prints, per rate and mode, the seeds where the claim failed
and the range of the two numbers it rests on: the constant rate's summed rises from epoch
10 on (above ``BOUNCE``), the larger of the two decays' (at or below it), and the ratio of
the constant rate's mean losses to the larger decay's over the same epochs (above 1).

    python benchmarks/lab_lr_decay.py --lrs 0.1,0.12,0.15,0.2,0.25 --seeds 0-19 --workers 2
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402

from nntune.labs._common import digit_splits, sub_seed, train_curve  # noqa: E402
from nntune.labs.training import BOUNCE, DECAY_NET, SCHEDULES, decay_checks  # noqa: E402

MODES = {"quick": 16, "full": 24}


def curves(lr: float, seed: int) -> tuple[float, int, dict[str, Any]]:
    """The three schedules' per-epoch losses at ``lr`` and ``seed``, as the lab trains them."""
    torch.set_num_threads(1)
    splits = digit_splits(seed, train_size=1500)
    run_seed = sub_seed(seed, "lr-decay")
    runs = {name: train_curve(name, {**DECAY_NET, **extra, "lr": lr, "epochs": max(MODES.values())}, splits, run_seed)
            for name, extra in SCHEDULES.items()}
    return lr, seed, {k: (c.column("train_loss"), c.column("val_loss"), c.diverged_epoch is None) for k, c in runs.items()}


def judge(runs: dict[str, Any], epochs: int) -> tuple[bool, dict[str, Any]]:
    train = {k: t[:epochs] for k, (t, _, _) in runs.items()}
    val = {k: v[:epochs] for k, (_, v, _) in runs.items()}
    checks, numbers = decay_checks(train, val, {k: ok for k, (_, _, ok) in runs.items()})
    return all(checks.values()), numbers


def seed_list(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lrs", default="0.1,0.12,0.15,0.2,0.25")
    parser.add_argument("--seeds", default="0-19", help="a range such as 0-19")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    lrs = [float(x) for x in args.lrs.split(",")]
    jobs = [(lr, seed) for lr in lrs for seed in seed_list(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(curves, *zip(*jobs)))
    print(f"DECAY_NET {DECAY_NET} (lr replaced), seeds {args.seeds}, bounce threshold {BOUNCE:.0%}")
    for lr in lrs:
        for mode, epochs in MODES.items():
            failed, const, decay, train_ratio, val_ratio = [], [], [], [], []
            for _, seed, runs in (r for r in results if r[0] == lr):
                held, n = judge(runs, epochs)
                if not held:
                    failed.append(seed)
                rise, mt, mv = n["total_rise_from_epoch_10"], n["mean_train_loss_from_epoch_10"], n["mean_val_loss_from_epoch_10"]
                const.append(rise["constant"])
                decay.append(max(rise["step"], rise["exponential"]))
                train_ratio.append(mt["constant"] / max(mt["step"], mt["exponential"]))
                val_ratio.append(mv["constant"] / max(mv["step"], mv["exponential"]))
            print(f"lr {lr:<5g} {mode:5}  failed at {failed or 'none'};  constant's rises {min(const):.0%}-{max(const):.0%}, "
                  f"decays' at most {max(decay):.1%};  mean loss constant/decay: training >= {min(train_ratio):.2f}, "
                  f"validation >= {min(val_ratio):.2f}")


if __name__ == "__main__":
    main()
