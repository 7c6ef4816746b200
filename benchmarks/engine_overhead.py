"""How much does nntune's ``fit`` cost over a bare PyTorch loop?

Both train the same MLP (2 hidden layers x 128, ReLU) on sklearn's digits with Adam,
lr 1e-3, batch 64, for the same number of epochs, and evaluate validation loss and
accuracy after every epoch. ``fit`` additionally records train metrics, per-layer
gradient norms and activation statistics, the learning rate and the epoch time. The two
are timed alternately (so background load hits both alike) and the medians compared.

    python benchmarks/engine_overhead.py [--epochs 20] [--repeats 5] [--threads 1]

Goal: ratio <= 1.10. A third contender, the bare loop that also scores train and
validation accuracy with scikit-learn every epoch, separates the cost of those metric
calls (fixed per call, two per epoch) from the rest of fit's overhead.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from nntune.train.loop import fit
from nntune.train.metrics import scores
from nntune.train.splits import SealedSplit, Splits

HIDDEN, BATCH, LR = 128, 64, 1e-3


def digits_splits(seed: int) -> Splits:
    x, y = load_digits(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    x_tr, x_va, y_tr, y_va = train_test_split(x_rest, y_rest, test_size=0.2, random_state=seed, stratify=y_rest)
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def scaled(a: np.ndarray) -> torch.Tensor:
        return torch.tensor((a - mean) / std, dtype=torch.float32)

    return Splits(
        scaled(x_tr), torch.tensor(y_tr), scaled(x_va), torch.tensor(y_va),
        SealedSplit(scaled(x_test), torch.tensor(y_test)), "classification", n_classes=10, name="digits",
    )


def bare_loop(splits: Splits, epochs: int, seed: int, *, sklearn_scores: bool = False) -> float:
    """A minimal hand-written loop; returns the last validation accuracy.

    With ``sklearn_scores`` it also scores train and validation accuracy with scikit-learn
    every epoch, as fit does, so that comparison shows fit's own overhead alone.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    n_in = splits.x_train.shape[1]
    model = nn.Sequential(
        nn.Linear(n_in, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10)
    )
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = splits.x_train, splits.y_train
    accuracy = 0.0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        predicted = []
        for start in range(0, len(y), BATCH):
            idx = order[start : start + BATCH]
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sklearn_scores:
                predicted.append(out.detach().argmax(1))
        model.eval()
        with torch.no_grad():
            out = model(splits.x_val)
            float(F.cross_entropy(out, splits.y_val))
            if sklearn_scores:
                train_pred = torch.cat(predicted).numpy()
                scores(["accuracy"], "classification", y[order].numpy(), train_pred, 10)
                accuracy = scores(["accuracy"], "classification", splits.y_val.numpy(), out.argmax(1).numpy(), 10)[
                    "accuracy"
                ]
            else:
                accuracy = float((out.argmax(1) == splits.y_val).float().mean())
    return accuracy


def bare_loop_scored(splits: Splits, epochs: int, seed: int) -> float:
    return bare_loop(splits, epochs, seed, sklearn_scores=True)


def nntune_fit(splits: Splits, epochs: int, seed: int) -> float:
    params = {"model": "mlp", "layers": 2, "units": HIDDEN, "activation": "relu", "optimizer": "adam",
              "lr": LR, "epochs": epochs, "batch_size": BATCH}
    return fit(params, splits, seed=seed, device="cpu").history[-1]["val_accuracy"]


def timed(run: object, *args: object) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    run(*args)  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float]]:
    """Prints the comparison; returns each contender's median wall and CPU seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads for both loops")
    args = parser.parse_args(argv)
    # One thread by default: this small MLP gains nothing from more, and a single thread
    # keeps the timing steady when other processes share the cores.
    torch.set_num_threads(args.threads)

    splits = digits_splits(args.seed)
    nntune_fit(splits, 1, args.seed)  # warm up: imports, allocator, sklearn's first call
    bare_loop_scored(splits, 1, args.seed)
    contenders = {"bare": bare_loop, "bare+sklearn": bare_loop_scored, "fit": nntune_fit}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for repeat in range(args.repeats):
        seed = args.seed + repeat
        # Rotate the order so no contender always runs first, on a colder or warmer machine.
        names = list(contenders)
        names = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in names:
            elapsed, used = timed(contenders[name], splits, args.epochs, seed)
            wall[name].append(elapsed)
            cpu[name].append(used)
    median = {name: statistics.median(times) for name, times in wall.items()}
    print(f"digits MLP 2x{HIDDEN}, adam lr {LR}, batch {BATCH}, {args.epochs} epochs, "
          f"median of {args.repeats} runs, torch threads {torch.get_num_threads()}")
    for name in contenders:
        runs = ", ".join(f"{t:.3f}" for t in wall[name])
        print(f"{name:13s}: {median[name]:.3f} s wall, {statistics.median(cpu[name]):.3f} s CPU  (wall runs: {runs})")
    # The fastest runs are the ones least disturbed by other processes on shared cores.
    fastest = {name: min(times) for name, times in wall.items()}
    for base in ("bare", "bare+sklearn"):
        cpu_ratio = statistics.median(cpu["fit"]) / statistics.median(cpu[base])
        print(f"ratio fit / {base:12s}: {median['fit'] / median[base]:.3f} wall median, "
              f"{fastest['fit'] / fastest[base]:.3f} fastest, {cpu_ratio:.3f} CPU"
              + ("  (goal <= 1.10)" if base == "bare" else ""))
    return {name: (median[name], statistics.median(cpu[name])) for name in contenders}


if __name__ == "__main__":
    main()
