"""Labs ``ensemble`` and ``coarse-to-fine``: what to do with a study's trials (note 002).

``ensemble`` runs a random search, keeps every trial's model, and averages the predicted
probabilities of the K best (by validation accuracy) for every K; the test split is opened
once, after the ranking, to score each ensemble beside the single best. ``coarse-to-fine``
runs nntune's CoarseToFineSampler over the learning rate and weight decay and draws how each
stage narrows around the best region.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from nntune import Float, Space, Trial, TrialState, create_study
from nntune.ensemble import accuracy, average, greedy_selection, log_loss, member_weights, top_k_curve
from nntune.labs._common import COLORS, Lab, Measured, data_info, digit_splits, new_figure, save_figure, sub_seed
from nntune.samplers import CoarseToFineSampler, RandomSampler
from nntune.train import fit
from nntune.train.basics import predict

# ---------------------------------------------------------------- ensembles

ENS_NET = {"model": "mlp", "layers": 2, "activation": "relu", "init": "he_normal", "optimizer": "momentum",
           "momentum": 0.9, "batch_size": 64}
ENS_SPACE = Space({"lr": Float(3e-3, 0.1, log=True), "units": Float(32, 256, log=True),
                   "dropout": Float(0.0, 0.5)})


def probabilities(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    return torch.softmax(predict(model, x), dim=-1).numpy().astype(np.float64)


def paired_noise(a: np.ndarray, b: np.ndarray, y: np.ndarray) -> float:
    """One standard error of the accuracy difference of two predictions scored on the same
    points (the paired view of McNemar's test): sqrt(points where exactly one is right) / n.
    Models that agree on all but 20 of 1,000 test images cannot be told apart by 2 of them."""
    right_a, right_b = np.argmax(a, axis=-1) == y, np.argmax(b, axis=-1) == y
    return float(np.sqrt(np.sum(right_a != right_b)) / len(y))


def paired_log_loss_noise(a: np.ndarray, b: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """One standard error of the log-loss difference of two predictions scored on the same
    points: the standard deviation of the per-point differences over sqrt(n). At seed 8 (quick)
    the top 3 trail the single best by 0.003 with a standard error of 0.011: noise."""
    rows = np.arange(len(y))
    diff = np.log(np.clip(b[rows, y], eps, 1.0)) - np.log(np.clip(a[rows, y], eps, 1.0))
    return float(np.std(diff, ddof=1) / np.sqrt(len(y))) if len(y) > 1 else 0.0


def measure_ensemble(seed: int, quick: bool) -> Measured:
    splits = digit_splits(seed, train_size=800 if quick else 1500)
    n_trials, epochs = (6, 6) if quick else (10, 10)
    run_seed = sub_seed(seed, "ensemble")
    study = create_study(direction="maximize", sampler=RandomSampler(run_seed), space=ENS_SPACE, seed=run_seed)
    models: dict[int, torch.nn.Module] = {}

    def objective(trial: Trial) -> float:
        drawn = trial.suggest_space(ENS_SPACE)
        params = {**ENS_NET, **drawn, "units": int(round(drawn["units"])), "epochs": epochs}
        result = fit(params, splits, seed=trial.seed)
        models[trial.number] = result.model
        return float(result.history[-1]["value"])

    study.optimize(objective, n_trials=n_trials)
    done = sorted((t for t in study.trials if t.state == TrialState.COMPLETE and t.number in models),
                  key=lambda t: (-float(t.value or 0.0), t.number))
    y_val = splits.y_val.numpy()
    val_probs = [probabilities(models[t.number], splits.x_val) for t in done]
    # Everything above was chosen on validation data; the test split is opened once, now.
    x_test, y_test_t = splits.test.open("lab ensemble: score the single best and the top-K ensembles once")
    y_test = y_test_t.numpy()
    test_probs = [probabilities(models[t.number], x_test) for t in done]
    ks = list(range(1, len(done) + 1))
    val_acc, test_acc = top_k_curve(val_probs, y_val, accuracy), top_k_curve(test_probs, y_test, accuracy)
    test_nll = top_k_curve(test_probs, y_test, log_loss)
    picked = greedy_selection(val_probs, y_val, lambda p, y: -log_loss(p, y), rounds=2 * len(done))
    weights = member_weights(picked, len(done))
    greedy_test = average(test_probs, weights)
    k_val = ks[int(np.argmax(val_acc))]  # K chosen on validation, ties to the smaller K
    single = {"accuracy": test_acc[0], "log_loss": test_nll[0]}
    # A few test images either way are noise: "matches" allows one standard error of the paired difference.
    noise = {"top_k": paired_noise(average(test_probs[:k_val]), test_probs[0], y_test),
             "greedy": paired_noise(greedy_test, test_probs[0], y_test)}
    greedy_nll = log_loss(greedy_test, y_test)
    # Each ensemble is chosen on validation data for the score it is checked on: K by validation
    # accuracy for accuracy, the greedy members by validation log loss for log loss. A fixed top 3
    # is chosen by nothing: where ranks 2 and 3 are under-trained (a small learning rate, 6 epochs)
    # their unsure probabilities raise the average's log loss, by 3.8 standard errors at seed 60.
    nll_noise = {"top_3": paired_log_loss_noise(average(test_probs[:3]), test_probs[0], y_test),
                 "greedy": paired_log_loss_noise(greedy_test, test_probs[0], y_test)}
    checks = {
        "the top-K ensemble chosen on validation matches (within one standard error of the paired difference) "
        "or beats the single best on test accuracy": test_acc[k_val - 1] >= single["accuracy"] - noise["top_k"],
        "the greedy ensemble, chosen on validation log loss, lowers the test log loss below the single best's":
            greedy_nll < single["log_loss"],
        "the greedy ensemble (Caruana) matches (within one standard error) or beats the single best on test accuracy":
            accuracy(greedy_test, y_test) >= single["accuracy"] - noise["greedy"],
    }
    trials = [{"rank": i + 1, "trial": t.number, "val_accuracy": float(t.value or 0.0),
               "params": {k: v for k, v in t.params.items()}} for i, t in enumerate(done)]
    numbers = {**data_info(splits), "n_test": len(y_test), "trials": n_trials, "epochs": epochs, "network": ENS_NET,
               "space": ENS_SPACE.to_json(), "ranked_trials": trials, "k": ks,
               "ensemble_val_accuracy": val_acc, "ensemble_test_accuracy": test_acc, "ensemble_test_log_loss": test_nll,
               "k_chosen_on_validation": k_val, "single_best_test": single,
               "test_accuracy_standard_error_against_single_best": noise,
               "test_log_loss_standard_error_against_single_best": nll_noise,
               "greedy": {"picked_ranks": [i + 1 for i in picked], "weights": weights,
                          "test_accuracy": accuracy(greedy_test, y_test), "test_log_loss": greedy_nll}}
    return Measured(numbers, checks)


def draw_ensemble(measured: Measured, out_dir: Path) -> list[Path]:
    n = measured.numbers
    fig = new_figure(13, 5)
    ax_acc, ax_nll = fig.subplots(1, 2)
    ks = n["k"]
    ax_acc.plot(ks, n["ensemble_test_accuracy"], "o-", color=COLORS[0], label="top-K average, test")
    ax_acc.plot(ks, n["ensemble_val_accuracy"], "s:", color=COLORS[2], label="top-K average, validation")
    ax_acc.axhline(n["single_best_test"]["accuracy"], color=COLORS[1], linestyle="--", label="single best, test")
    ax_acc.axhline(n["greedy"]["test_accuracy"], color=COLORS[3], linestyle="-.", label="greedy selection, test")
    ax_acc.axvline(n["k_chosen_on_validation"], color="0.5", linewidth=1)
    ax_acc.set_xlabel("K (models averaged, best validation accuracy first)")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend(fontsize=8)
    ax_acc.grid(alpha=0.3)
    ax_nll.plot(ks, n["ensemble_test_log_loss"], "o-", color=COLORS[0], label="top-K average")
    ax_nll.axhline(n["single_best_test"]["log_loss"], color=COLORS[1], linestyle="--", label="single best")
    ax_nll.axhline(n["greedy"]["test_log_loss"], color=COLORS[3], linestyle="-.", label="greedy selection")
    ax_nll.set_xlabel("K")
    ax_nll.set_ylabel("test log loss")
    ax_nll.legend(fontsize=8)
    ax_nll.grid(alpha=0.3)
    fig.suptitle(f"Ensembles of a random search's {len(ks)} models on {n['data']}: average the probabilities (note 002)")
    return [save_figure(fig, out_dir, "ensemble")]


# ---------------------------------------------------------------- coarse to fine

CTF_NET = {"model": "mlp", "layers": 2, "units": 64, "activation": "relu", "init": "he_normal", "optimizer": "sgd",
           "batch_size": 50}
CTF_SPACE = Space({"lr": Float(1e-5, 1.0, log=True), "weight_decay": Float(1e-8, 1e-1, log=True)})
STAGES, TOP_K = 3, 4


def log_width(space_json: dict[str, Any], name: str) -> float:
    """Decades a log range spans."""
    spec = space_json["params"][name]
    return float(np.log10(spec["high"]) - np.log10(spec["low"]))


def inside(space_json: dict[str, Any], trial: dict[str, Any]) -> bool:
    """Whether every searched value of ``trial`` lies in the ranges of ``space_json``."""
    return all(spec["low"] <= trial[name] <= spec["high"] for name, spec in space_json["params"].items())


def measure_coarse(seed: int, quick: bool) -> Measured:
    splits = digit_splits(seed, train_size=300, split=(0.8, 0.1, 0.1))
    per_stage, epochs = (6, 4) if quick else (10, 6)
    run_seed = sub_seed(seed, "coarse-to-fine")
    sampler = CoarseToFineSampler(run_seed, stages=STAGES, trials_per_stage=per_stage, top_k=TOP_K, margin=0.1)
    study = create_study(direction="maximize", sampler=sampler, space=CTF_SPACE, seed=run_seed)

    def objective(trial: Trial) -> float:
        params = {**CTF_NET, **trial.suggest_space(CTF_SPACE), "epochs": epochs}
        return float(fit(params, splits, seed=trial.seed).history[-1]["value"])

    study.optimize(objective, n_trials=STAGES * per_stage)
    history = study.trials
    stages = sampler.stages_for(CTF_SPACE, history, "maximize")
    trials = [{"trial": t.number, "stage": sampler.stage_of(t.number), "lr": t.params["lr"],
               "weight_decay": t.params["weight_decay"], "val_accuracy": float(t.value or 0.0)}
              for t in history if t.state == TrialState.COMPLETE]
    by_stage = [[t["val_accuracy"] for t in trials if t["stage"] == s] for s in range(STAGES)]
    widths = [{name: log_width(st["space"], name) for name in CTF_SPACE.params} for st in stages]
    best = max(trials, key=lambda t: t["val_accuracy"])
    by_number = {t["trial"]: t for t in trials}
    checks = {
        "every stage's ranges hold the best trials it narrowed around":
            all(n in by_number and inside(st["space"], by_number[n]) for st in stages[1:] for n in st["narrowed_around"]),
        "every stage's ranges are no wider than the stage before's, and the last is narrower in both parameters":
            all(widths[i + 1][p] <= widths[i][p] + 1e-9 for i in range(len(widths) - 1) for p in CTF_SPACE.params)
            and all(widths[-1][p] < widths[0][p] for p in CTF_SPACE.params),
        # No separate "the last stage holds the best trial": the best so far is among the trials the last
        # stage narrows around (checked above), and a best found in the last stage was drawn inside it.
        "the last stage's trials score better on average than the first's": float(np.mean(by_stage[-1])) > float(np.mean(by_stage[0])),
    }
    numbers = {**data_info(splits), "epochs": epochs, "network": CTF_NET, "stages": stages, "trials_per_stage": per_stage,
               "top_k": TOP_K, "decades_per_stage": widths, "mean_val_accuracy_per_stage": [float(np.mean(b)) for b in by_stage],
               "best": best, "trials": trials}
    return Measured(numbers, checks)


def draw_coarse(measured: Measured, out_dir: Path) -> list[Path]:
    n = measured.numbers
    fig = new_figure(9, 6.5)
    ax = fig.subplots()
    for stage, color in zip(n["stages"], COLORS):
        s, space = stage["stage"], stage["space"]["params"]
        lr, wd = space["lr"], space["weight_decay"]
        ax.add_patch(_rect(lr["low"], lr["high"], wd["low"], wd["high"], color))
        pts = [t for t in n["trials"] if t["stage"] == s]
        ax.scatter([t["lr"] for t in pts], [t["weight_decay"] for t in pts], color=color, s=30 + 200 * np.array(
            [t["val_accuracy"] for t in pts]) ** 2, edgecolor="k", linewidth=0.4,
            label=f"stage {s}: mean validation accuracy {n['mean_val_accuracy_per_stage'][s]:.3f}")
    ax.scatter([n["best"]["lr"]], [n["best"]["weight_decay"]], marker="*", s=300, color="gold", edgecolor="k", zorder=3,
               label=f"best trial ({n['best']['val_accuracy']:.3f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log)")
    ax.set_ylabel("weight decay (log)")
    ax.legend(fontsize=8, loc="lower left")
    fig.suptitle("Coarse to fine: each stage's ranges (boxes) narrow around the best trials of the last "
                 "(point size: validation accuracy)", fontsize=10)
    return [save_figure(fig, out_dir, "coarse-to-fine")]


def _rect(x0: float, x1: float, y0: float, y1: float, color: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=color, linewidth=2)


LABS = [
    Lab(
        name="ensemble",
        description="The test accuracy of an ensemble of a random search's top-K models against K.",
        claim="Averaging the predicted probabilities of the best few models matches or beats the single best model "
              "on test data: the K chosen on validation and the greedy selection are at least as accurate, up to "
              "one standard error of the paired difference, and the greedy selection, made on validation log loss, "
              "has a lower test log loss.",
        text="A random search (nntune RandomSampler) over learning rate, hidden units and dropout of a 3-layer MLP "
             "on MNIST digits; each trial's model is kept. Models are ranked by validation accuracy, the top K "
             "averaged for every K, and a greedy forward selection with replacement (Caruana et al., 2004) picks "
             "members by validation log loss. The test split is opened once, after all choices are made. "
             "Two predictions of n test images that disagree on d of them have an accuracy difference with a "
             "standard error of sqrt(d)/n: an ensemble behind the single best by less than that (2 of 1,000 "
             "images where they disagree on 20) is not shown to be worse. Log loss is compared for the ensemble "
             "chosen on it; a fixed top 3 is chosen by nothing, and where ranks 2 and 3 are under-trained their "
             "unsure probabilities raise the average's log loss.",
        measure=measure_ensemble,
        draw=draw_ensemble,
    ),
    Lab(
        name="coarse-to-fine",
        description="Coarse-to-fine search over learning rate and weight decay: the stages narrowing, drawn.",
        claim="Each stage's ranges narrow around (and hold) the best trials found so far, and the last stage's "
              "trials score better on average than the first stage's.",
        text="nntune's CoarseToFineSampler (3 stages, the top 4 trials kept, 10% margin) over a learning rate in "
             "[1e-5, 1] and weight decay in [1e-8, 0.1], both on a log scale; each trial trains a 3-layer MLP for a "
             "few epochs on 300 MNIST digits (the notes' steps 0 to 3: set ranges, draw, score, narrow).",
        measure=measure_coarse,
        draw=draw_coarse,
    ),
]
