"""Labs ``batchnorm``, ``overfit`` and ``early-stopping``: batch normalization across initial
scales, the train-validation gap of a large network on 300 samples with and without
regularization (figures 6-18 to 6-23), and stopping such a network when validation stops improving."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from nntune.labs._common import COLORS, Curve, Lab, Measured, data_info, digit_splits, new_figure, save_figure, sub_seed, train_curve
from nntune.train import fit

# ---------------------------------------------------------------- batch norm

BN_NET = {"model": "mlp", "layers": 5, "units": 100, "activation": "relu", "optimizer": "sgd", "lr": 0.01,
          "batch_size": 100, "init": "normal"}
LEARNED = 0.5  # final training accuracy that counts as "learned" (five times chance)
CHANCE = 0.1


def bn_scales(quick: bool) -> list[float]:
    return [float(s) for s in np.logspace(0, -4, 5 if quick else 9)]


def final_accuracy(curve: Curve) -> float:
    """Last training accuracy; a run whose loss went non-finite counts as guessing."""
    return CHANCE if curve.diverged_epoch is not None or not curve.records else curve.last("train_accuracy")


def mean_accuracy(curve: Curve, epochs: int) -> float:
    """Mean training accuracy over the planned epochs; the epochs a diverged run never
    finished count as guessing."""
    accs = curve.column("train_accuracy")
    return float(np.mean(accs + [CHANCE] * (epochs - len(accs))))


def batch_norm_layer(seed: int) -> dict[str, Any]:
    """The trainer's batch-norm layer checked against the notes' formulas on one batch.

    Training normalizes by the mini-batch mean and (biased) variance with eps 1e-5, then
    scales by a learnable gamma and shifts by beta; each batch moves the running mean and
    variance by an exponentially weighted average (momentum 0.1: 10% new, 90% old), and
    the test pass normalizes by those. The mean it subtracts also cancels any bias of the
    layer before it, which is why that bias is redundant (note 001)."""
    import torch

    from nntune.train.models import build_model

    gen = torch.Generator().manual_seed(sub_seed(seed, "bn-layer"))
    model = build_model({**BN_NET, "batchnorm": True, "init_std": 0.1}, (64,), 10, generator=gen)
    fc, bn = model.get_submodule("fc1"), model.get_submodule("bn1")
    x = torch.randn(32, 64, generator=gen)
    with torch.no_grad():
        z = fc(x)
        mean, var = z.mean(0), z.var(0, unbiased=False)
        bn.train()
        trained = bn(z)
        by_formula = bn.weight * (z - mean) / torch.sqrt(var + bn.eps) + bn.bias
        running_ok = torch.allclose(bn.running_mean, bn.momentum * mean, atol=1e-6)
        bn.eval()
        tested = bn(z)
        by_running = bn.weight * (z - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) + bn.bias
        bn.train()
        shifted = bn(z + torch.randn(z.shape[1], generator=gen))  # another bias before the layer
    return {"eps": float(bn.eps), "momentum": float(bn.momentum),
            "gamma_beta_learnable": bool(bn.weight.requires_grad and bn.bias.requires_grad),
            "training_matches_formula": bool(torch.allclose(trained, by_formula, atol=1e-5)),
            "running_mean_is_weighted_average": bool(running_ok),
            "test_uses_running_statistics": bool(torch.allclose(tested, by_running, atol=1e-5)),
            "bias_before_changes_output_by": float((shifted - trained).abs().max())}


def measure_batchnorm(seed: int, quick: bool) -> Measured:
    splits = digit_splits(seed, train_size=1000)
    epochs = 10 if quick else 20
    scales = bn_scales(quick)
    runs: dict[str, list[Curve]] = {"with": [], "without": []}
    for scale in scales:
        for key, bn in (("with", True), ("without", False)):
            params = {**BN_NET, "init_std": scale, "batchnorm": bn, "epochs": epochs}
            runs[key].append(train_curve(f"{key} batch norm, std {scale:.3g}", params, splits,
                                         sub_seed(seed, "init", f"{scale:.6g}")))
    final = {k: [final_accuracy(c) for c in cs] for k, cs in runs.items()}
    mean = {k: [mean_accuracy(c, epochs) for c in cs] for k, cs in runs.items()}
    faster = sum(w > wo for w, wo in zip(mean["with"], mean["without"]))
    learned = {k: sum(a >= LEARNED for a in v) for k, v in final.items()}
    checks = {
        "batch norm learns faster (higher mean training accuracy) at two thirds of the scales or more":
            faster >= 2 * len(scales) / 3,
        "batch norm learns faster averaged over all scales": float(np.mean(mean["with"])) > float(np.mean(mean["without"])),
        "batch norm depends less on the initial scale: it learns (final training accuracy >= 0.5) at more scales":
            learned["with"] > learned["without"],
    }
    layer = batch_norm_layer(seed)
    checks["the layer follows the notes: batch statistics and eps 1e-5 in training, running averages at test"] = (
        layer["eps"] == 1e-5 and layer["gamma_beta_learnable"] and layer["training_matches_formula"]
        and layer["running_mean_is_weighted_average"] and layer["test_uses_running_statistics"])
    checks["a bias before batch norm is redundant (it does not change the output)"] = \
        layer["bias_before_changes_output_by"] < 1e-4
    numbers = {**data_info(splits), "epochs": epochs, "network": BN_NET, "weight_std": scales, "layer": layer,
               "final_train_accuracy": final, "mean_train_accuracy": mean,
               "scales_where_batch_norm_is_faster": faster, "scales_learned": learned,
               "diverged_epoch": {k: [c.diverged_epoch for c in cs] for k, cs in runs.items()}}
    return Measured(numbers, checks, series={"runs": runs})


def draw_batchnorm(measured: Measured, out_dir: Path) -> list[Path]:
    runs: dict[str, list[Curve]] = measured.series["runs"]
    n = measured.numbers
    scales = n["weight_std"]
    cols = 5
    rows = (len(scales) + 1 + cols - 1) // cols
    fig = new_figure(15, 3.3 * rows)
    axes = list(fig.subplots(rows, cols, sharey=True).flat)
    for ax, scale, with_bn, without in zip(axes, scales, runs["with"], runs["without"]):
        ax.plot(with_bn.column("epoch"), with_bn.column("train_accuracy"), "-", color=COLORS[0], label="with batch norm")
        ax.plot(without.column("epoch"), without.column("train_accuracy"), "--", color=COLORS[1], label="without")
        note = f"\n(without: loss non-finite at epoch {without.diverged_epoch})" if without.diverged_epoch else ""
        ax.set_title(f"W std = {scale:.3g}{note}", fontsize=10)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(1, n["epochs"])
        ax.set_xlabel("epoch", fontsize=8)
        ax.grid(alpha=0.3)
    summary = axes[len(scales)]
    summary.semilogx(scales, n["final_train_accuracy"]["with"], "o-", color=COLORS[0], label="with batch norm")
    summary.semilogx(scales, n["final_train_accuracy"]["without"], "s--", color=COLORS[1], label="without")
    summary.axhline(LEARNED, color="k", linestyle=":", linewidth=1)
    summary.set_title("final training accuracy by W std\n(solid: with batch norm, dashed: without)", fontsize=10)
    summary.set_xlabel("initial weight std (log scale)", fontsize=8)
    summary.grid(alpha=0.3)
    for ax in axes[len(scales) + 1:]:
        ax.set_visible(False)
    for row in range(rows):
        axes[row * cols].set_ylabel("training accuracy")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Batch norm (solid) vs none (dashed): 6-layer ReLU MLP, SGD lr 0.01, {n['n_train']} training "
                 f"images of {n['data']} (notes' figures 6-18, 6-19)")
    return [save_figure(fig, out_dir, "batchnorm")]


# ---------------------------------------------------------------- overfitting

OVERFIT_NET = {"model": "mlp", "layers": 6, "units": 100, "activation": "relu", "optimizer": "sgd", "lr": 0.01,
               "batch_size": 100, "init": "he_normal"}
OVERFIT_CASES: dict[str, dict[str, Any]] = {
    "no regularization": {},
    "weight decay 0.1": {"weight_decay": 0.1},
    "dropout 0.15": {"dropout": 0.15},
}
GAP_EPOCHS = 10  # the gap is averaged over the last 10 epochs
# The notes count weight layers: the trainer's ``layers`` hidden ones and the output layer.
OVERFIT_DEPTH = f"{OVERFIT_NET['layers'] + 1}-layer ({OVERFIT_NET['layers']} hidden + output)"


DROPOUT_DRAWS = 4000  # training-mode passes averaged against the one test-time pass


def dropout_scaling(p: float, seed: int) -> dict[str, float]:
    """How the trainer's dropout layer scales, measured on a hidden layer of ones.

    The notes drop units only while training and multiply every unit by (1 - p) at test
    time; PyTorch (inverted dropout) divides the kept units by (1 - p) while training and
    passes every unit unscaled at test time. Either way the test-time output is the mean
    training-time output; the factor only moves from the test pass into the training one."""
    import torch

    from nntune.train.models import build_model

    model = build_model({**OVERFIT_NET, "dropout": p}, (OVERFIT_NET["units"],), 10)
    drop = model.get_submodule("drop1")
    ones = torch.ones(DROPOUT_DRAWS, OVERFIT_NET["units"])
    with torch.random.fork_rng(devices=[]):  # the masks' draws leave the lab's random streams alone
        torch.manual_seed(sub_seed(seed, "dropout"))
        drop.train()
        trained = drop(ones)
    drop.eval()
    tested = drop(ones[:1])
    return {"p": p, "kept_share": float((trained > 0).float().mean()),
            "kept_scale_in_training": float(trained.max()), "test_output": float(tested.mean()),
            "test_units_dropped": float((tested == 0).float().mean()),
            "mean_training_output": float(trained.mean())}


def measure_overfit(seed: int, quick: bool) -> Measured:
    """Each case is trained twice with the same seed, hence the same weights, batches and
    dropout masks: once scored on the validation split, once with the training split in
    its place, which gives the training accuracy with dropout off, as the notes measure it."""
    splits = digit_splits(seed, train_size=300)
    on_train = replace(splits, x_val=splits.x_train, y_val=splits.y_train)
    epochs = 100 if quick else 200
    curves: dict[str, dict[str, Any]] = {}
    for name, case in OVERFIT_CASES.items():
        params = {**OVERFIT_NET, **case, "epochs": epochs}
        run_seed = sub_seed(seed, "overfit")
        val = train_curve(name, params, splits, run_seed)
        train = train_curve(name, params, on_train, run_seed)
        curves[name] = {"train": train.column("val_accuracy"), "val": val.column("val_accuracy"),
                        "same_run": train.column("train_loss") == val.column("train_loss")}
    gaps = {n: float(np.mean(np.subtract(c["train"], c["val"])[-GAP_EPOCHS:])) for n, c in curves.items()}
    base = gaps["no regularization"]
    checks = {
        "without regularization the gap is large (training accuracy over 15 points above validation)": base > 0.15,
        "weight decay narrows the gap": gaps["weight decay 0.1"] < base,
        "dropout narrows the gap": gaps["dropout 0.15"] < base,
        "each twin run retraced the same training (identical training losses)":
            all(c["same_run"] for c in curves.values()),
    }
    dropout = dropout_scaling(OVERFIT_CASES["dropout 0.15"]["dropout"], seed)
    checks["dropout passes every unit at test time, and its test output is the mean training output"] = (
        dropout["test_units_dropped"] == 0.0 and abs(dropout["mean_training_output"] - dropout["test_output"]) < 0.02
        and abs(dropout["kept_scale_in_training"] * (1 - dropout["p"]) - 1.0) < 1e-6)
    numbers = {**data_info(splits), "epochs": epochs, "network": OVERFIT_NET, "depth": OVERFIT_DEPTH,
               "cases": OVERFIT_CASES, "dropout_scaling": dropout,
               "gap_last_10_epochs": gaps,
               "final_train_accuracy": {n: c["train"][-1] for n, c in curves.items()},
               "final_val_accuracy": {n: c["val"][-1] for n, c in curves.items()},
               "train_accuracy": {n: c["train"] for n, c in curves.items()},
               "val_accuracy": {n: c["val"] for n, c in curves.items()}}
    return Measured(numbers, checks, series={"curves": curves})


def draw_overfit(measured: Measured, out_dir: Path) -> list[Path]:
    curves = measured.series["curves"]
    n = measured.numbers
    fig = new_figure(15, 4.3)
    axes = fig.subplots(1, len(curves), sharey=True)
    for ax, (name, c) in zip(axes, curves.items()):
        epochs = np.arange(1, len(c["train"]) + 1)
        ax.plot(epochs, c["train"], "-", color=COLORS[0], label="train")
        ax.plot(epochs, c["val"], "-", color=COLORS[1], label="validation")
        ax.set_title(f"{name}: gap {n['gap_last_10_epochs'][name]:.1%}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("accuracy")
    fig.suptitle(f"{OVERFIT_DEPTH} ReLU MLP on {n['n_train']} training images of {n['data']}: train vs validation accuracy "
                 "(notes' figures 6-20, 6-21, 6-23; the sealed test split stays sealed)")
    return [save_figure(fig, out_dir, "overfit")]


# ---------------------------------------------------------------- early stopping

STOP_NET = {"model": "mlp", "layers": 2, "units": 256, "activation": "relu", "init": "he_normal", "optimizer": "adam",
            "lr": 1e-3, "batch_size": 32}
PATIENCE = 5
STOP_TOLERANCE = 0.01  # the kept weights may trail the full run's final validation accuracy by at most 1 point


def measure_stopping(seed: int, quick: bool) -> Measured:
    """The same training twice from the same seed: once for every epoch, once with the
    trainer's early stopping on validation accuracy, which keeps the best epoch's weights."""
    splits = digit_splits(seed, train_size=300)
    epochs = 40 if quick else 80
    run_seed = sub_seed(seed, "early-stopping")
    full = train_curve("every epoch", {**STOP_NET, "epochs": epochs}, splits, run_seed)
    stopped: list[dict[str, float]] = []

    def report(_epoch: int, record: dict[str, Any]) -> bool:
        stopped.append({k: float(record[k]) for k in ("epoch", "train_loss", "val_loss", "val_accuracy")})
        return False

    result = fit({**STOP_NET, "epochs": epochs, "early_stopping": True, "patience": PATIENCE}, splits,
                 report=report, seed=run_seed)
    val_loss, val_acc = full.column("val_loss"), full.column("val_accuracy")
    lowest = int(np.argmin(val_loss)) + 1
    kept_loss = stopped[result.best_epoch - 1]["val_loss"] if result.best_epoch else float("nan")
    checks = {
        "without stopping the network overfits: validation loss bottoms out in the first half and ends 5% or more "
        "above its minimum": lowest <= epochs // 2 and val_loss[-1] >= 1.05 * min(val_loss),
        f"early stopping ends the run {PATIENCE} epochs (the patience) after its best validation accuracy, "
        "before the last epoch": result.stopped_early and result.epochs == result.best_epoch + PATIENCE < epochs,
        "the weights it keeps (the best epoch's) trail the full run's final validation accuracy by 1 point at most":
            result.best_value >= val_acc[-1] - STOP_TOLERANCE,
        "and have a lower validation loss than the full run ends with": kept_loss < val_loss[-1],
    }
    numbers = {**data_info(splits), "epochs": epochs, "network": STOP_NET, "patience": PATIENCE,
               "monitored": "val_accuracy", "full_run": {"lowest_val_loss_epoch": lowest, "min_val_loss": min(val_loss),
                                                        "final_val_loss": val_loss[-1], "final_val_accuracy": val_acc[-1]},
               "early_stopped": {"stopped_at_epoch": result.epochs, "best_epoch": result.best_epoch,
                                 "best_val_accuracy": result.best_value, "val_loss_at_best": kept_loss,
                                 "epochs_saved": epochs - result.epochs},
               "train_loss": full.column("train_loss"), "val_loss": val_loss, "val_accuracy": val_acc}
    return Measured(numbers, checks, series={"full": full, "best": result.best_epoch, "stop": result.epochs})


def draw_stopping(measured: Measured, out_dir: Path) -> list[Path]:
    full: Curve = measured.series["full"]
    best, stop = measured.series["best"], measured.series["stop"]
    n = measured.numbers
    fig = new_figure(13, 4.8)
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs = full.column("epoch")
    loss_ax.plot(epochs, full.column("train_loss"), "-", color=COLORS[0], label="training loss")
    loss_ax.plot(epochs, full.column("val_loss"), "-", color=COLORS[1], label="validation loss")
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("loss (log)")
    acc_ax.plot(epochs, full.column("train_accuracy"), "-", color=COLORS[0], label="training accuracy")
    acc_ax.plot(epochs, full.column("val_accuracy"), "-", color=COLORS[1], label="validation accuracy")
    acc_ax.set_ylabel("accuracy")
    for ax in (loss_ax, acc_ax):
        ax.axvline(best, color=COLORS[2], linestyle="--", label=f"best validation accuracy (epoch {best}): kept")
        ax.axvline(stop, color="k", linestyle=":", label=f"early stop (epoch {stop}, patience {n['patience']})")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Early stopping on {n['n_train']} training images of {n['data']}: the full run's curves, where "
                 f"the trainer stops and which weights it keeps (notes 003, 004 4.7.3)")
    return [save_figure(fig, out_dir, "early-stopping")]


LABS = [
    Lab(
        name="batchnorm",
        description="Training with and without batch norm across initial weight scales from 1 to 1e-4.",
        claim="Batch norm learns faster and depends less on the initial weight scale.",
        text="A 6-layer MLP (5 hidden ReLU layers of 100 units, batch norm before each ReLU or none) trained with "
             "SGD at lr 0.01 on 1,000 MNIST digits, its weights drawn from a normal distribution whose std runs "
             "from 1 down to 1e-4 (the notes' figure 6-19 uses 16 such scales). A run whose loss turns "
             "non-finite counts as guessing (accuracy 0.1) from there on. The layer itself is checked against the "
             "notes' formulas (numbers: layer): mini-batch mean and variance with eps 1e-5 while training, learnable "
             "gamma and beta, running averages (momentum 0.1) at test time, and a bias before it that changes "
             "nothing, since the batch mean takes it away (note 001). Its slight regularizing effect, the noise of "
             "the batch statistics, fades as batches grow: it is no regularizer to rely on.",
        measure=measure_batchnorm,
        draw=draw_batchnorm,
    ),
    Lab(
        name="overfit",
        description=f"A {OVERFIT_DEPTH} MLP on 300 samples: train vs validation accuracy with no "
                    "regularization, weight decay, dropout.",
        claim="Without regularization the network overfits (a large train-validation gap); weight decay "
              "(lambda 0.1) and dropout (ratio 0.15) each narrow the gap.",
        text="The notes' 7-layer network (6 hidden ReLU layers of 100 units, He initialization, SGD lr 0.01, batches "
             "of 100) on 300 training images. The notes compare train and test accuracy; here the second curve is "
             "the validation split, because nntune keeps the test split sealed until a final evaluation. Training "
             "accuracy is measured on the whole training set with dropout off after every epoch, through a twin "
             "run with the same seed. Weight decay is coupled (the gradient of lambda/2 ||W||^2), as in the notes. "
             "The notes scale dropout at test time (every unit on, multiplied by 1 - p); PyTorch's dropout "
             "divides the kept units by 1 - p while training instead and leaves the test pass unscaled, which "
             "gives the same expected output: the page's numbers measure it (dropout_scaling).",
        measure=measure_overfit,
        draw=draw_overfit,
    ),
    Lab(
        name="early-stopping",
        description="A network that overfits 300 samples, trained to the end and with early stopping on validation accuracy.",
        claim="Trained to the end, the network overfits (validation loss bottoms out early and climbs); early stopping "
              "ends the run a patience after the best epoch and keeps weights about as accurate as the full run's "
              "last, with a lower validation loss.",
        text="A 3-layer MLP (2 hidden ReLU layers of 256 units, He initialization, Adam lr 0.001, batches of 32) on "
             "300 MNIST digits, trained twice from the same seed by nntune's trainer: once for every epoch, once with "
             "early_stopping on validation accuracy (patience 5), which stops after 5 epochs without a better one and "
             "restores the best epoch's weights. The test split stays sealed.",
        measure=measure_stopping,
        draw=draw_stopping,
    ),
]
