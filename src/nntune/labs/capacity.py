"""Labs ``decision-boundary`` and ``underfit``: what a network's size buys (note 000).

``decision-boundary`` trains networks with 0, 1 and 4 hidden layers on two interleaved
half-moons and draws each one's decision boundary. ``underfit`` trains a network that is
too small for sklearn's digits beside a bigger one over growing training sets: the small
one's errors stay high whatever the data, the bigger one's fall.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.datasets import make_moons

from nntune.labs._common import COLORS, Curve, Lab, Measured, new_figure, save_figure, sub_seed, train_curve
from nntune.train import load_splits
from nntune.train.basics import predict
from nntune.train.splits import SealedSplit, Splits

# ---------------------------------------------------------------- decision boundary

N_MOONS = 600
MOON_NOISE = 0.2
HIDDEN = (0, 1, 4)
MOON_NET = {"model": "mlp", "units": 16, "activation": "relu", "optimizer": "adam", "lr": 0.01, "batch_size": 32}
MOON_EPOCHS = 60
GRID = 200
N_FRESH = 5000  # unseen points on which the claim is checked


def moon_splits(seed: int, n: int = N_MOONS, noise: float = MOON_NOISE) -> Splits:
    """Two half-moons, standardized by the training part, split 60/20/20."""
    x, y = make_moons(n_samples=n, noise=noise, random_state=sub_seed(seed, "moons"))
    a, b = int(0.6 * n), int(0.8 * n)
    xt = standardized(x, *training_scale(seed, n, noise))
    yt = torch.tensor(y, dtype=torch.int64)
    return Splits(xt[:a], yt[:a], xt[a:b], yt[a:b], SealedSplit(xt[b:], yt[b:]), "classification", 2, "two moons")


def training_scale(seed: int, n: int = N_MOONS, noise: float = MOON_NOISE) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the training part of :func:`moon_splits`' points (the first 60%)."""
    x, _ = make_moons(n_samples=n, noise=noise, random_state=sub_seed(seed, "moons"))
    train = x[: int(0.6 * n)]
    return train.mean(axis=0), train.std(axis=0)


def standardized(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    return torch.tensor((x - mean) / std, dtype=torch.float32)


def fresh_moons(seed: int, n: int = N_FRESH, noise: float = MOON_NOISE) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` new points of the same two moons, scaled like the training part: accuracy on a
    few thousand of them is exact to about half a point, where the 120 validation points
    move by 1 point per point misclassified and let a 10-point gain read as 5 at some seeds."""
    x, y = make_moons(n_samples=n, noise=noise, random_state=sub_seed(seed, "moons", "fresh"))
    return standardized(x, *training_scale(seed, noise=noise)), torch.tensor(y, dtype=torch.int64)


def accuracy_on(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((predict(model, x).argmax(dim=-1).cpu() == y).double().mean())


def grid_probabilities(model: torch.nn.Module, lim: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's probability of class 1 on a GRID x GRID square of side 2 * lim."""
    xs = np.linspace(-lim, lim, GRID)
    gx, gy = np.meshgrid(xs, xs)
    points = torch.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=torch.float32)
    prob = torch.softmax(predict(model, points), dim=-1)[:, 1].numpy().reshape(gx.shape)  # on the model's device
    return gx, gy, prob


def measure_boundary(seed: int, quick: bool) -> Measured:
    """Cheap already: ``quick`` changes nothing."""
    splits = moon_splits(seed)
    runs = {f"{h} hidden": train_curve(f"{h} hidden", {**MOON_NET, "layers": h, "epochs": MOON_EPOCHS}, splits,
                                       sub_seed(seed, "boundary", h)) for h in HIDDEN}
    train = {k: c.last("train_accuracy") for k, c in runs.items()}
    val = {k: c.last("val_accuracy") for k, c in runs.items()}
    x_new, y_new = fresh_moons(seed)
    unseen = {k: accuracy_on(c.model, x_new, y_new) if c.model is not None else math.nan for k, c in runs.items()}
    lim = float(torch.cat([splits.x_train, splits.x_val]).abs().max()) * 1.05
    grids = {k: grid_probabilities(c.model, lim) for k, c in runs.items() if c.model is not None}
    zero, one, four = (f"{h} hidden" for h in HIDDEN)
    checks = {
        f"one hidden layer bends the boundary and beats none (a straight line) by 5 points of accuracy on "
        f"{N_FRESH} unseen points": unseen[one] >= unseen[zero] + 0.05,
        "four hidden layers also beat none by 5 points": unseen[four] >= unseen[zero] + 0.05,
        "but add little over one: accuracy on the unseen points within 3 points of one hidden layer's":
            abs(unseen[four] - unseen[one]) <= 0.03,
    }
    numbers = {"data": splits.name, "n_train": len(splits.y_train), "n_val": len(splits.y_val), "noise": MOON_NOISE,
               "n_unseen": N_FRESH, "network": MOON_NET, "epochs": MOON_EPOCHS, "hidden_layers": list(HIDDEN),
               "train_accuracy": train, "val_accuracy": val, "unseen_accuracy": unseen}
    return Measured(numbers, checks, series={"grids": grids, "splits": splits})


def draw_boundary(measured: Measured, out_dir: Path) -> list[Path]:
    grids = measured.series["grids"]
    splits: Splits = measured.series["splits"]
    x, y = splits.x_train.numpy(), splits.y_train.numpy()
    fig = new_figure(15, 5)
    axes = fig.subplots(1, len(grids), sharey=True)
    for ax, (label, (gx, gy, prob)) in zip(axes, grids.items()):
        ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
        ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.5)
        for cls, color in ((0, COLORS[0]), (1, COLORS[1])):
            ax.scatter(x[y == cls, 0], x[y == cls, 1], s=8, color=color, edgecolor="k", linewidth=0.2)
        ax.set_title(f"{label} layer{'s' if not label.startswith('1 ') else ''}: train "
                     f"{measured.numbers['train_accuracy'][label]:.3f}, validation "
                     f"{measured.numbers['val_accuracy'][label]:.3f}, unseen "
                     f"{measured.numbers['unseen_accuracy'][label]:.3f}", fontsize=10)
        ax.set_xlabel("x1 (standardized)")
        ax.set_aspect("equal")
    axes[0].set_ylabel("x2 (standardized)")
    fig.suptitle("Decision boundaries on two moons (note 000): more hidden layers draw a finer boundary, "
                 "up to a point")
    return [save_figure(fig, out_dir, "decision-boundary")]


# ---------------------------------------------------------------- underfitting

SMALL_NET = {"model": "mlp", "layers": 1, "units": 2}
BIG_NET = {"model": "mlp", "layers": 1, "units": 64}
FIT_OPT = {"activation": "relu", "optimizer": "adam", "lr": 0.01, "batch_size": 32}
UPDATES = 400  # every run gets about as many updates, so only the data differs


def train_sizes(quick: bool) -> list[int | None]:
    return [100, 400, None] if quick else [100, 200, 400, 800, None]


def epochs_for(n_train: int, batch_size: int = 32) -> int:
    return max(5, math.ceil(UPDATES / math.ceil(n_train / batch_size)))


def error_noise(error: float, n: int) -> float:
    """The standard error of an error rate measured on ``n`` samples: sqrt(e (1 - e) / n)."""
    return math.sqrt(error * (1 - error) / n)


def measure_underfit(seed: int, quick: bool) -> Measured:
    rows: dict[str, list[dict[str, Any]]] = {"small (1 x 2 units)": [], "bigger (1 x 64 units)": []}
    curves: dict[str, list[Curve]] = {k: [] for k in rows}
    for size in train_sizes(quick):
        splits = load_splits("digits", seed=seed, train_size=size)
        n = len(splits.y_train)
        for (label, net) in zip(rows, (SMALL_NET, BIG_NET)):
            params = {**net, **FIT_OPT, "epochs": epochs_for(n)}
            curve = train_curve(label, params, splits, sub_seed(seed, "underfit", n))
            curves[label].append(curve)
            rows[label].append({"train_size": n, "epochs": params["epochs"],
                                "train_error": 1 - curve.last("train_accuracy"),
                                "val_error": 1 - curve.last("val_accuracy")})
    small, big = rows.values()
    middle = next(r for r in small if r["train_size"] == 400)
    gain = middle["val_error"] - small[-1]["val_error"]
    # An error rate measured on the first 100 samples is itself uncertain by about 5 points: a
    # fall smaller than its standard error is not "lower" (seeds 25 and 26 fall by 2 points).
    first_noise = error_noise(small[0]["train_error"], small[0]["train_size"])
    checks = {
        "the small network underfits: training and validation errors both 20% or more with all the data":
            small[-1]["train_error"] >= 0.2 and small[-1]["val_error"] >= 0.2,
        "and close together (validation error within 10 points of training error)":
            small[-1]["val_error"] - small[-1]["train_error"] < 0.1,
        "more data does not rescue it: its training error is no lower with all the data than with 100 samples "
        "(beyond one standard error of the error on 100 samples), and its validation error stays at 30% or more":
            small[-1]["train_error"] >= small[0]["train_error"] - first_noise and small[-1]["val_error"] >= 0.3,
        "a bigger network does: with all the data its validation error is under half the small one's":
            big[-1]["val_error"] < 0.5 * small[-1]["val_error"],
        "and the bigger network gains from more data (validation error falls from the smallest size to all)":
            big[-1]["val_error"] < big[0]["val_error"],
    }
    numbers = {"data": "digits", "networks": {"small": SMALL_NET, "bigger": BIG_NET}, "training": FIT_OPT,
               "updates_per_run": UPDATES, "learning_curves": rows,
               "small_val_error_gain_from_400_to_all": gain, "small_train_error_standard_error_at_100": first_noise}
    return Measured(numbers, checks, series={"rows": rows})


def draw_underfit(measured: Measured, out_dir: Path) -> list[Path]:
    rows = measured.series["rows"]
    fig = new_figure(9, 5.5)
    ax = fig.subplots()
    for color, (label, points) in zip(COLORS, rows.items()):
        sizes = [p["train_size"] for p in points]
        ax.plot(sizes, [p["train_error"] for p in points], "o--", color=color, label=f"{label}: training error")
        ax.plot(sizes, [p["val_error"] for p in points], "o-", color=color, label=f"{label}: validation error")
    ax.set_xscale("log")
    ax.set_xlabel("training samples (log)")
    ax.set_ylabel("error (1 - accuracy)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.suptitle("Learning curves on sklearn digits: an underfitting network stays high whatever the data; "
                 "capacity, not data, is its cure", fontsize=10)
    return [save_figure(fig, out_dir, "underfit")]


LABS = [
    Lab(
        name="decision-boundary",
        description="0, 1 and 4 hidden layers on two moons: the decision boundaries drawn.",
        claim="With no hidden layer the boundary is a straight line and misclassifies the moons' tips; one hidden "
              "layer bends it and gains at least 5 points of accuracy on unseen points of the same moons; four keep "
              "that gain but add little more (within 3 points of one).",
        text="Two interleaved half-moons (600 points, noise 0.2, split 60/20/20) and MLPs of 16-unit ReLU layers "
             "trained by nntune's trainer with Adam (lr 0.01, batches of 32, 60 epochs); the shading is each model's "
             "probability of the red class, the black line where it is one half. The claim is checked on 5,000 "
             "unseen points drawn from the same moons: the 120 validation points move by almost a point per "
             "point misclassified, too coarse to tell a 5-point gain from a 10-point one at every seed.",
        measure=measure_boundary,
        draw=draw_boundary,
    ),
    Lab(
        name="underfit",
        description="A too-small network: both errors high, and a learning curve showing more data does not help it.",
        claim="A network of 2 hidden units keeps training and validation errors both high and close together, and "
              "more data does not bring them down: its training error is no lower with all the data than with 100 "
              "samples (beyond the standard error of an error rate on 100 samples, about 5 points) and its "
              "validation error stays at 30% or more; a network of 64 units on the same data halves the error at least.",
        text="sklearn's 8x8 digits at training sizes from 100 samples to the whole 60% training split, each run "
             "trained by nntune's trainer with Adam (lr 0.01, batches of 32) for about 400 updates, so the data is "
             "the only difference between the points of one curve.",
        measure=measure_underfit,
        draw=draw_underfit,
    ),
]
