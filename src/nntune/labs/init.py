"""Labs ``init-activations`` and ``init-compare``: how the initial weights shape a deep network.

``init-activations`` pushes 1,000 random inputs through a 5-layer, 100-unit network built by
:func:`nntune.train.build_model` with each initializer and histograms every layer's
activations (figures 6-10 to 6-14). ``init-compare`` trains the notes' 5-layer ReLU MLP on
real digits from each initialization, and from all-zero weights (figure 6-15).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nntune.labs._common import COLORS, Lab, Measured, data_info, digit_splits, new_figure, save_figure, sub_seed, train_curve
from nntune.train import build_model

N_SAMPLES, WIDTH, DEPTH = 1000, 100, 5
NEAR_EDGE = 0.05  # a sigmoid output below 0.05 or above 0.95 is saturated
NEAR_HALF = 0.05  # a sigmoid output in 0.45..0.55 sits at the collapsed middle

ACTIVATION_CASES: dict[str, dict[str, Any]] = {
    "sigmoid, std 1": {"activation": "sigmoid", "init": "normal", "init_std": 1.0},
    "sigmoid, std 0.01": {"activation": "sigmoid", "init": "normal", "init_std": 0.01},
    "sigmoid, Xavier": {"activation": "sigmoid", "init": "xavier_normal"},
    "ReLU, std 0.01": {"activation": "relu", "init": "normal", "init_std": 0.01},
    "ReLU, Xavier": {"activation": "relu", "init": "xavier_normal"},
    "ReLU, He": {"activation": "relu", "init": "he_normal"},
}


def layer_activations(case: dict[str, Any], x: torch.Tensor, seed: int) -> list[np.ndarray]:
    """The outputs of the ``DEPTH`` hidden activation functions for input ``x``."""
    params = {"model": "mlp", "layers": DEPTH, "units": WIDTH, **case}
    model = build_model(params, (WIDTH,), WIDTH, generator=torch.Generator().manual_seed(seed))
    outputs: list[np.ndarray] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach().numpy().ravel()))
             for name, m in model.named_modules() if name.startswith("act")]
    model.eval()
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return outputs


def activation_stats(acts: list[np.ndarray]) -> dict[str, list[float]]:
    return {
        "mean": [float(a.mean()) for a in acts],
        "std": [float(a.std()) for a in acts],
        "share_near_0_or_1": [float(np.mean((a < NEAR_EDGE) | (a > 1 - NEAR_EDGE))) for a in acts],
        "share_near_0.5": [float(np.mean(np.abs(a - 0.5) <= NEAR_HALF)) for a in acts],
        "share_zero": [float(np.mean(a == 0)) for a in acts],
    }


def measure_activations(seed: int, quick: bool) -> Measured:
    """Cheap already (no training): ``quick`` changes nothing."""
    x = torch.randn(N_SAMPLES, WIDTH, generator=torch.Generator().manual_seed(sub_seed(seed, "input")))
    acts = {name: layer_activations(case, x, sub_seed(seed, name)) for name, case in ACTIVATION_CASES.items()}
    stats = {name: activation_stats(a) for name, a in acts.items()}
    sat, tiny, xav = stats["sigmoid, std 1"], stats["sigmoid, std 0.01"], stats["sigmoid, Xavier"]
    relu_std = {name: stats[name]["std"] for name in ("ReLU, std 0.01", "ReLU, Xavier", "ReLU, He")}
    shrinking = {name: all(b < a for a, b in zip(s, s[1:])) for name, s in relu_std.items()}
    ratio = {name: s[-1] / s[0] for name, s in relu_std.items()}
    checks = {
        "sigmoid with std 1: over half of every layer's outputs lie within 0.05 of 0 or 1 (saturated)":
            min(sat["share_near_0_or_1"]) > 0.5,
        "sigmoid with std 0.01: every layer collapses at 0.5 (over 90% of its outputs in 0.45..0.55)":
            min(tiny["share_near_0.5"]) > 0.9,
        "sigmoid with Xavier: every layer spreads (under half in 0.45..0.55, under 10% saturated)":
            max(xav["share_near_0.5"]) < 0.5 and max(xav["share_near_0_or_1"]) < 0.1,
        "ReLU with std 0.01: activations shrink layer by layer to almost nothing (layer 5 / layer 1 < 1e-3)":
            shrinking["ReLU, std 0.01"] and ratio["ReLU, std 0.01"] < 1e-3,
        "ReLU with Xavier: activations shrink layer by layer (layer 5 / layer 1 < 0.5)":
            shrinking["ReLU, Xavier"] and ratio["ReLU, Xavier"] < 0.5,
        "ReLU with He: activations keep their spread (layer 5 / layer 1 between 0.5 and 2)":
            0.5 <= ratio["ReLU, He"] <= 2.0,
    }
    numbers = {"input": [N_SAMPLES, WIDTH], "layers": DEPTH, "units": WIDTH, "cases": ACTIVATION_CASES,
               "stats": stats, "relu_std_ratio_layer5_to_layer1": ratio}
    return Measured(numbers, checks, series={"acts": acts})


def draw_activations(measured: Measured, out_dir: Path) -> list[Path]:
    acts: dict[str, list[np.ndarray]] = measured.series["acts"]
    stats = measured.numbers["stats"]
    fig = new_figure(14, 14)
    axes = fig.subplots(len(acts), DEPTH, sharex=True)
    bins = np.linspace(0, 1, 31)
    for row, (name, layers) in enumerate(acts.items()):
        relu = name.startswith("ReLU")
        counts = [np.histogram(a[a > 0] if relu else a, bins=bins)[0] for a in layers]
        top = max(1, max(int(c.max()) for c in counts)) * 1.05
        for col, (ax, c) in enumerate(zip(axes[row], counts)):
            ax.bar(bins[:-1], c, width=bins[1] - bins[0], align="edge", color=COLORS[row % len(COLORS)])
            ax.set_ylim(0, top)
            st = stats[name]
            label = (f"std {st['std'][col]:.2g}, zeros {st['share_zero'][col]:.0%}" if relu else
                     f"std {st['std'][col]:.2g}, at 0/1 {st['share_near_0_or_1'][col]:.0%}, "
                     f"at 0.5 {st['share_near_0.5'][col]:.0%}")
            ax.set_title(f"layer {col + 1}: {label}", fontsize=8)
            ax.tick_params(labelsize=7)
            if col > 0:
                ax.set_yticklabels([])
        axes[row][0].set_ylabel(name, fontsize=10, fontweight="bold")
    for ax in axes[-1]:
        ax.set_xlabel("activation value")
    fig.suptitle("Activation histograms of a 5-layer, 100-unit network on 1000 random inputs "
                 "(notes' figures 6-10 to 6-14; ReLU rows leave the exact zeros out)")
    return [save_figure(fig, out_dir, "init-activations")]


# ---------------------------------------------------------------- training from each initialization

COMPARE_NET = {"model": "mlp", "layers": 4, "units": 100, "activation": "relu", "optimizer": "sgd", "lr": 0.01,
               "batch_size": 128}
COMPARE_CASES: dict[str, dict[str, Any]] = {
    "std 0.01": {"init": "normal", "init_std": 0.01},
    "Xavier": {"init": "xavier_normal"},
    "He": {"init": "he_normal"},
    # With ReLU (or tanh) zero weights give exactly zero gradients and nothing moves at all;
    # sigmoid shows weights that do change, yet every unit of a layer stays a copy of the others.
    "zeros (sigmoid)": {"init": "zeros", "activation": "sigmoid"},
}
CHANCE_LOSS = math.log(10)
SAME_UNIT = 1e-5  # units differing by less than this, relative to the layer's largest weight, are float32 copies


def unit_spread(model: nn.Module) -> dict[str, dict[str, float]]:
    """Per hidden layer: the largest difference between any unit's parameters and unit 0's,
    absolute and relative to the layer's largest parameter, and that largest parameter."""
    out = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and name != "head":
            w, b = module.weight.detach().double(), module.bias.detach().double()
            diff = float(max((w - w[:1]).abs().max(), (b - b[:1]).abs().max()))
            largest = float(max(w.abs().max(), b.abs().max()))
            out[name] = {"max_unit_difference": diff, "relative_unit_difference": diff / largest if largest else 0.0,
                         "max_abs_weight": float(w.abs().max())}
    return out


def measure_compare(seed: int, quick: bool) -> Measured:
    splits = digit_splits(seed)
    epochs = 10 if quick else 20
    curves = {name: train_curve(name, {**COMPARE_NET, **case, "epochs": epochs}, splits, sub_seed(seed, name))
              for name, case in COMPARE_CASES.items()}
    final = {n: c.last("train_loss") for n, c in curves.items()}
    mean_loss = {n: float(np.mean(c.column("train_loss"))) for n, c in curves.items()}
    zeros_model = curves["zeros (sigmoid)"].model
    spread = unit_spread(zeros_model) if zeros_model is not None else {}
    checks = {
        "std 0.01 does not learn: training loss stays within 0.01 of ln 10 = 2.303":
            abs(final["std 0.01"] - CHANCE_LOSS) < 0.01,
        "Xavier and He learn: training loss falls below half of ln 10":
            final["Xavier"] < CHANCE_LOSS / 2 and final["He"] < CHANCE_LOSS / 2,
        "He learns faster than Xavier (lower mean training loss)": mean_loss["He"] < mean_loss["Xavier"],
        "zeros: every hidden unit of a layer stays identical to the others (up to float32 rounding)":
            bool(spread) and all(s["relative_unit_difference"] < SAME_UNIT for s in spread.values()),
        "zeros: the hidden weights did change (they are updated, but all alike)":
            bool(spread) and max(s["max_abs_weight"] for s in spread.values()) > 0.0,
    }
    numbers = {**data_info(splits), "epochs": epochs, "network": COMPARE_NET, "cases": COMPARE_CASES,
               "final_train_loss": final, "mean_train_loss": mean_loss,
               "final_val_accuracy": {n: c.last("val_accuracy") for n, c in curves.items()},
               "train_loss": {n: c.column("train_loss") for n, c in curves.items()},
               "zeros_hidden_layers": spread}
    return Measured(numbers, checks, series={"curves": curves})


def draw_compare(measured: Measured, out_dir: Path) -> list[Path]:
    curves = measured.series["curves"]
    fig = new_figure(10, 4.2)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for color, (name, curve) in zip(COLORS, curves.items()):
        # std 0.01 and zeros lie on top of each other at ln 10: a wide pale line under a dashed one.
        style = {"linestyle": "--", "marker": "s", "markersize": 3} if name.startswith("zeros") else \
            {"linewidth": 5, "alpha": 0.5} if name == "std 0.01" else {"marker": "o", "markersize": 3}
        for ax, key in ((loss_ax, "train_loss"), (acc_ax, "val_accuracy")):
            ax.plot(curve.column("epoch"), curve.column(key), color=color, label=name, **style)
    loss_ax.axhline(CHANCE_LOSS, color="k", linestyle=":", linewidth=1, label="ln 10 (guessing)")
    loss_ax.set_ylabel("training loss")
    acc_ax.set_ylabel("validation accuracy")
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    n = measured.numbers
    fig.suptitle(f"5-layer ReLU MLP, SGD lr 0.01, on {n['data']}: initial weights compared (notes' figure 6-15)")
    return [save_figure(fig, out_dir, "init-compare")]


LABS = [
    Lab(
        name="init-activations",
        description="Activation histograms of a 5-layer, 100-unit network for sigmoid/ReLU with std 1, 0.01, Xavier, He.",
        claim="Sigmoid with std 1 saturates at 0 and 1; with std 0.01 it collapses at 0.5; Xavier spreads it. "
              "ReLU activations shrink layer by layer with std 0.01 and Xavier and keep their spread with He.",
        text="1,000 standard-normal inputs of 100 features go through 5 hidden layers of 100 units built by "
             "nntune's build_model, biases 0, weights from nntune's initializers: normal with std 1 or 0.01, "
             "Xavier (std 1/sqrt(n)) and He (std sqrt(2/n)), n = 100 inputs per unit. Histograms use 30 bins on "
             "[0, 1] as in the notes; for ReLU the exact zeros (about half of each layer) are left out.",
        measure=measure_activations,
        draw=draw_activations,
    ),
    Lab(
        name="init-compare",
        description="Training curves of a 5-layer ReLU MLP on real digits from std 0.01, Xavier, He and zero weights.",
        claim="With std 0.01 the network does not learn, with Xavier and He it does (He faster); "
              "zero initialization keeps all hidden units of a layer identical.",
        text="The notes' 5-layer MLP (4 hidden ReLU layers of 100 units) trained with plain SGD at lr 0.01 and "
             "batches of 128 on the bundled MNIST digits. Zero initialization is run with sigmoid units: with ReLU "
             "the gradients of zero weights are exactly zero and nothing moves, while sigmoid shows weights that "
             "are updated, yet identically for every unit of a layer.",
        measure=measure_compare,
        draw=draw_compare,
    ),
]
