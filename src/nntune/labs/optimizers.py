"""Labs ``optimizers`` and ``optimizers-mnist``: SGD, Momentum, AdaGrad, RMSProp and Adam.

The first follows each optimizer's path on f(x, y) = x^2/20 + y^2 from (-7, 2) with the
real ``torch.optim`` implementations on a 2-parameter tensor (figures 6-3 to 6-8); the
second trains the notes' 5-layer MLP on real handwritten digits with each (figure 6-9).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nntune.labs._common import COLORS, Lab, Measured, data_info, digit_splits, new_figure, save_figure, sub_seed, train_curve

START = (-7.0, 2.0)
DRAWN_STEPS = 30  # the notes draw 30 updates
MAX_STEPS = 500
TARGET = 1e-3
MIN_SWING = 1e-3  # a y step smaller than this is numerical chatter, not a zig-zag

# The learning rates of the notes' script optimizer_compare_naive.py; RMSProp's is AdaGrad's
# 1.5 times sqrt(1 - 0.99): with torch's smoothing 0.99 its first steps then match AdaGrad's.
TOY_OPTIMIZERS: dict[str, tuple[float, Callable[[list[torch.Tensor], float], torch.optim.Optimizer]]] = {
    "SGD": (0.95, lambda p, lr: torch.optim.SGD(p, lr=lr)),
    "Momentum": (0.1, lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9)),
    "AdaGrad": (1.5, lambda p, lr: torch.optim.Adagrad(p, lr=lr)),
    "RMSProp": (0.15, lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99)),
    "Adam": (0.3, lambda p, lr: torch.optim.Adam(p, lr=lr)),
}


def bowl(p: torch.Tensor) -> torch.Tensor:
    return p[0] ** 2 / 20 + p[1] ** 2


def optimizer_path(name: str, steps: int = MAX_STEPS) -> np.ndarray:
    """(steps + 1, 2) positions of ``name`` on the bowl, starting at ``START``."""
    lr, make = TOY_OPTIMIZERS[name]
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = make([p], lr)
    path = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        bowl(p).backward()
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path).numpy()


def path_numbers(path: np.ndarray) -> dict[str, Any]:
    values = path[:, 0] ** 2 / 20 + path[:, 1] ** 2
    below = np.flatnonzero(values < TARGET)
    reach = int(below[0]) if below.size else None
    steps = np.diff(path, axis=0)
    lengths = np.linalg.norm(steps, axis=1)
    dy = steps[:DRAWN_STEPS, 1]
    swings = (dy[1:] * dy[:-1] < 0) & (np.abs(dy[1:]) > MIN_SWING) & (np.abs(dy[:-1]) > MIN_SWING)
    return {
        "steps_to_reach": reach,
        "path_length": float(lengths[:DRAWN_STEPS].sum()),
        "path_length_to_reach": None if reach is None else float(lengths[:reach].sum()),
        "dy_sign_changes": int(swings.sum()),
        "f_after_30": float(values[DRAWN_STEPS]),
        "end_after_30": [float(v) for v in path[DRAWN_STEPS]],
    }


def measure_toy(seed: int, quick: bool) -> Measured:
    """Deterministic (no randomness): the seed and ``quick`` change nothing."""
    paths = {name: optimizer_path(name) for name in TOY_OPTIMIZERS}
    per = {name: {"lr": TOY_OPTIMIZERS[name][0], **path_numbers(p)} for name, p in paths.items()}
    sgd = per["SGD"]
    others = [n for n in per if n != "SGD"]
    reach = {n: per[n]["steps_to_reach"] or math.inf for n in per}
    checks = {
        "SGD reverses its y step more often than every other optimizer":
            all(sgd["dy_sign_changes"] > per[n]["dy_sign_changes"] for n in others),
        "SGD walks the longest path in the 30 drawn steps":
            all(sgd["path_length"] > per[n]["path_length"] for n in others),
        "AdaGrad and RMSProp reach f < 1e-3 in fewer steps than SGD":
            reach["AdaGrad"] < reach["SGD"] and reach["RMSProp"] < reach["SGD"],
        "Adam sways less across the valley than Momentum (fewer y reversals)":
            per["Adam"]["dy_sign_changes"] < per["Momentum"]["dy_sign_changes"],
    }
    faster = [n for n in others if reach[n] < reach["SGD"]]
    slower = [n for n in others if reach[n] >= reach["SGD"]]
    remarks = [
        f"Fewer steps than SGD ({sgd['steps_to_reach']}) to reach f < 1e-3: "
        + ", ".join(f"{n} ({per[n]['steps_to_reach']})" for n in faster) + "."
    ]
    if slower:
        remarks.append("Not fewer: " + ", ".join(f"{n} ({per[n]['steps_to_reach']})" for n in slower)
                       + ". With the notes' learning rates they roll past the minimum along the shallow x axis "
                         "and come back, so their path is smooth but not shorter in steps.")
    numbers = {"start": list(START), "target_f": TARGET, "drawn_steps": DRAWN_STEPS, "max_steps": MAX_STEPS,
               "optimizers": per, "fewer_steps_than_sgd": faster, "not_fewer_steps_than_sgd": slower}
    return Measured(numbers, checks, series={"paths": paths}, remarks=remarks)


def draw_toy(measured: Measured, out_dir: Path) -> list[Path]:
    paths: dict[str, np.ndarray] = measured.series["paths"]
    per = measured.numbers["optimizers"]
    xs, ys = np.meshgrid(np.linspace(-10, 10, 300), np.linspace(-5, 5, 300))
    zs = xs**2 / 20 + ys**2
    fig = new_figure(13, 7.5)
    axes = fig.subplots(2, 3)
    for ax, (name, path) in zip(axes.flat, paths.items()):
        ax.contour(xs, ys, zs, levels=np.geomspace(0.05, 30, 12), colors="0.7", linewidths=0.7)
        shown = path[: DRAWN_STEPS + 1]
        ax.plot(shown[:, 0], shown[:, 1], "o-", color="#d62728", markersize=3, linewidth=1)
        ax.plot(0, 0, "+", color="k", markersize=12)
        n = per[name]
        ax.set_title(f"{name} (lr {n['lr']:g}): y reversals {n['dy_sign_changes']}, "
                     f"f<1e-3 at step {n['steps_to_reach']}", fontsize=9)
        ax.set_xlim(-10, 10)
        ax.set_ylim(-5, 5)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    ax = axes.flat[-1]
    for color, (name, path) in zip(COLORS, paths.items()):
        values = path[:, 0] ** 2 / 20 + path[:, 1] ** 2
        ax.semilogy(np.arange(len(values))[:121], values[:121], color=color, label=name)
    ax.axhline(TARGET, color="k", linestyle=":", linewidth=1, label="f = 1e-3")
    ax.set_ylim(1e-8, 100)
    ax.set_title("f(x, y) by step", fontsize=9)
    ax.set_xlabel("step")
    ax.set_ylabel("f (log scale)")
    ax.legend(fontsize=8)
    fig.suptitle(f"Paths on f(x, y) = x²/20 + y² from (-7, 2): the first {DRAWN_STEPS} updates (notes' figures 6-3 to 6-8)")
    return [save_figure(fig, out_dir, "optimizers")]


# ---------------------------------------------------------------- on real digits

MNIST_OPTIMIZERS: dict[str, dict[str, Any]] = {
    "SGD": {"optimizer": "sgd", "lr": 0.01},
    "Momentum": {"optimizer": "momentum", "lr": 0.01, "momentum": 0.9},
    "AdaGrad": {"optimizer": "adagrad", "lr": 0.01},
    "RMSProp": {"optimizer": "rmsprop", "lr": 0.001},
    "Adam": {"optimizer": "adam", "lr": 0.001},
}
MNIST_NET = {"model": "mlp", "layers": 4, "units": 100, "activation": "relu", "init": "he_normal", "batch_size": 128}


def measure_mnist(seed: int, quick: bool) -> Measured:
    splits = digit_splits(seed, train_size=1000 if quick else None)
    epochs = 4 if quick else 20
    curves = {name: train_curve(name, {**MNIST_NET, **opt, "epochs": epochs}, splits, sub_seed(seed, name))
              for name, opt in MNIST_OPTIMIZERS.items()}
    final = {n: c.last("train_loss") for n, c in curves.items()}
    area = {n: float(np.mean(c.column("train_loss"))) for n, c in curves.items()}
    others = [n for n in curves if n != "SGD"]
    checks = {
        "SGD ends with the highest training loss": all(final["SGD"] > final[n] for n in others),
        "SGD has the highest mean training loss over the epochs": all(area["SGD"] > area[n] for n in others),
    }
    numbers = {**data_info(splits), "epochs": epochs, "network": MNIST_NET, "optimizers": MNIST_OPTIMIZERS,
               "final_train_loss": final, "mean_train_loss": area,
               "final_val_accuracy": {n: c.last("val_accuracy") for n, c in curves.items()},
               "train_loss": {n: c.column("train_loss") for n, c in curves.items()}}
    return Measured(numbers, checks, series={"curves": curves})


def draw_mnist(measured: Measured, out_dir: Path) -> list[Path]:
    curves = measured.series["curves"]
    fig = new_figure(10, 4.2)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for color, (name, curve) in zip(COLORS, curves.items()):
        epochs = curve.column("epoch")
        loss_ax.plot(epochs, curve.column("train_loss"), "o-", color=color, markersize=3, label=name)
        acc_ax.plot(epochs, curve.column("val_accuracy"), "o-", color=color, markersize=3, label=name)
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("training loss (log scale)")
    loss_ax.set_title("training loss")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("validation accuracy")
    acc_ax.set_title("validation accuracy")
    for ax in (loss_ax, acc_ax):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    n = measured.numbers
    fig.suptitle(f"5-layer MLP on {n['data']} ({n['n_train']} training images): optimizers compared (notes' figure 6-9)")
    return [save_figure(fig, out_dir, "optimizers-mnist")]


LABS = [
    Lab(
        name="optimizers",
        description="Paths of SGD, Momentum, AdaGrad, RMSProp and Adam on f(x, y) = x^2/20 + y^2 from (-7, 2).",
        claim="SGD zig-zags across the steep y axis (the most reversals of its y step, the longest path); "
              "AdaGrad and RMSProp reach f < 1e-3 in fewer steps than SGD; Adam sways less than Momentum.",
        text="Each optimizer is the real torch.optim implementation stepping a 2-parameter tensor. Learning rates "
             "are those of the notes' script optimizer_compare_naive.py (SGD 0.95, Momentum 0.1 with momentum 0.9, "
             "AdaGrad 1.5, Adam 0.3); RMSProp uses 0.15 = 1.5 * sqrt(1 - 0.99), so that with smoothing 0.99 its "
             "first steps match AdaGrad's. A y reversal is a sign change between two consecutive y steps larger "
             "than 0.001, counted over the 30 drawn updates; steps to reach count up to 500 updates.",
        measure=measure_toy,
        draw=draw_toy,
    ),
    Lab(
        name="optimizers-mnist",
        description="SGD, Momentum, AdaGrad, RMSProp and Adam training a 5-layer MLP on real handwritten digits.",
        claim="SGD is the slowest: it ends with a higher training loss than every other optimizer, and its loss "
              "averaged over the epochs is the highest too (in the first epoch, where all start near ln 10, "
              "it may not yet be).",
        text="A 5-layer MLP (4 hidden ReLU layers of 100 units, He initialization, batches of 128) as in the notes, "
             "trained on the bundled 5,000 MNIST digits with the learning rates of the notes' script "
             "optimizer_compare_mnist.py (SGD, Momentum and AdaGrad 0.01, Adam 0.001; RMSProp 0.001, since "
             "torch's RMSProp with 0.01 jumps far on its first epoch). The curves are per-epoch means of the "
             "training loss.",
        measure=measure_mnist,
        draw=draw_mnist,
    ),
]
