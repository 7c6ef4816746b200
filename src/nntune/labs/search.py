"""Labs ``search-scale``, ``grid-vs-random`` and ``hpo-random``: how to draw hyperparameters.

``search-scale`` draws through nntune's RandomSampler on a linear and a log scale (note 001),
``grid-vs-random`` runs two nntune studies of 25 trials on a problem where one parameter
matters, and ``hpo-random`` is the notes' random search over learning rate and weight decay
with short trials on real digits (figure 6-24).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from nntune import Beta, Float, Space, Trial, TrialState, create_study
from nntune.labs._common import COLORS, Lab, Measured, data_info, digit_splits, new_figure, save_figure, sub_seed
from nntune.samplers import GridSampler, RandomSampler
from nntune.train import fit

# ---------------------------------------------------------------- scales

N_DRAWS = 1000
SCALE_SPACE = Space({
    "lr_linear": Float(1e-4, 1.0),
    "lr_log": Float(1e-4, 1.0, log=True),
    "beta_linear": Float(0.9, 0.999),
    "beta_one_minus_log": Beta(0.9, 0.999),
})
LR_DECADES = [(1e-4, 1e-3), (1e-3, 1e-2), (1e-2, 1e-1), (1e-1, 1.0)]
BETA_DECADES = [(0.9, 0.99), (0.99, 0.999)]  # (1 - beta) in [0.01, 0.1] and [0.001, 0.01]


def decade_shares(values: np.ndarray, decades: list[tuple[float, float]]) -> list[float]:
    """Share of ``values`` in each [low, high) range, the last range closed on the right."""
    out = []
    for i, (low, high) in enumerate(decades):
        upper = values <= high if i == len(decades) - 1 else values < high
        out.append(float(np.mean((values >= low) & upper)))
    return out


def close_to(share: float, p: float, n: int = N_DRAWS) -> bool:
    """``share`` of ``n`` draws within 4 binomial standard errors of the expected ``p``."""
    return abs(share - p) <= 4 * np.sqrt(p * (1 - p) / n)


def measure_scale(seed: int, quick: bool) -> Measured:
    """Cheap already: ``quick`` changes nothing."""
    sampler = RandomSampler(sub_seed(seed, "search-scale"))
    draws = [sampler.suggest(SCALE_SPACE, [], number=k) for k in range(N_DRAWS)]
    values = {name: np.array([d[name] for d in draws]) for name in SCALE_SPACE.params}
    shares = {name: decade_shares(values[name], LR_DECADES if name.startswith("lr") else BETA_DECADES)
              for name in values}
    expected = {"lr_linear": [0.9 / 0.9999], "lr_log": [0.25] * 4, "beta_linear": [0.09 / 0.099], "beta_one_minus_log": [0.5, 0.5]}
    observed = {"lr_linear": shares["lr_linear"][-1:], "lr_log": shares["lr_log"], "beta_linear": shares["beta_linear"][:1],
                "beta_one_minus_log": shares["beta_one_minus_log"]}
    ok = {name: all(close_to(s, p) for s, p in zip(observed[name], expected[name])) for name in expected}
    checks = {
        "linear learning rate: about 90% of draws in [0.1, 1]": ok["lr_linear"],
        "log learning rate: about 25% of draws per decade": ok["lr_log"],
        "linear beta: about 91% of draws in [0.9, 0.99]": ok["beta_linear"],
        "beta on the (1 - beta) log scale: about half in [0.9, 0.99] and half in [0.99, 0.999]": ok["beta_one_minus_log"],
    }
    numbers = {"draws": N_DRAWS, "space": SCALE_SPACE.to_json(),
               "lr_decades": [list(d) for d in LR_DECADES], "beta_ranges": [list(d) for d in BETA_DECADES],
               "shares": shares, "expected_shares": expected, "tolerance": "4 binomial standard errors"}
    return Measured(numbers, checks, series={"values": values})


def draw_scale(measured: Measured, out_dir: Path) -> list[Path]:
    values = measured.series["values"]
    shares = measured.numbers["shares"]
    fig = new_figure(13, 7.5)
    axes = fig.subplots(2, 2)
    lr_bins = np.geomspace(1e-4, 1.0, 41)
    for ax, name, title in ((axes[0][0], "lr_linear", "learning rate, linear scale: Float(1e-4, 1)"),
                            (axes[0][1], "lr_log", "learning rate, log scale: Float(1e-4, 1, log=True)")):
        counts = ax.hist(values[name], bins=lr_bins, color=COLORS[0])[0]
        ax.set_ylim(0, counts.max() * 1.25)
        ax.set_xscale("log")
        for edge in (1e-3, 1e-2, 1e-1):
            ax.axvline(edge, color="k", linestyle=":", linewidth=1)
        for (low, high), s in zip(LR_DECADES, shares[name]):
            ax.text(np.sqrt(low * high), 0.93, f"{s:.0%}", transform=ax.get_xaxis_transform(), ha="center",
                    fontsize=11, fontweight="bold")
        ax.set_title(title)
        ax.set_xlabel("learning rate (log axis, 10 bins per decade)")
        ax.set_ylabel(f"draws of {N_DRAWS}")
    beta_bins = np.geomspace(1e-3, 1e-1, 41)
    for ax, name, title in ((axes[1][0], "beta_linear", "beta, linear scale: Float(0.9, 0.999)"),
                            (axes[1][1], "beta_one_minus_log", "beta on the (1 - beta) scale: Beta(0.9, 0.999)")):
        counts = ax.hist(1 - values[name], bins=beta_bins, color=COLORS[2])[0]
        ax.set_ylim(0, counts.max() * 1.25)
        ax.set_xscale("log")
        ax.axvline(1e-2, color="k", linestyle=":", linewidth=1)
        for (low, high), s in zip(BETA_DECADES, shares[name]):
            ax.text(np.sqrt((1 - low) * (1 - high)), 0.93, f"beta {low:g}..{high:g}: {s:.0%}",
                    transform=ax.get_xaxis_transform(), ha="center", fontsize=10, fontweight="bold")
        ax.set_title(title)
        ax.set_xlabel("1 - beta (log axis, 20 bins per decade; left end: beta = 0.999)")
        ax.set_ylabel(f"draws of {N_DRAWS}")
    fig.suptitle(f"{N_DRAWS} random draws per scale, shares per decade (note 001: pick the scale, not just the range)")
    return [save_figure(fig, out_dir, "search-scale")]


# ---------------------------------------------------------------- grid vs random

N_TRIALS = 25
GRID_SPACE = Space({"important": Float(0.0, 1.0), "unimportant": Float(0.0, 1.0)})
OPTIMUM, WIDTH = 0.37, 0.08  # the important parameter's best value lies between grid points


def toy_score(important: float, unimportant: float) -> float:
    """A validation-accuracy-like score: a bump in the important parameter, a 1% tilt in the other."""
    return float(0.9 * np.exp(-0.5 * ((important - OPTIMUM) / WIDTH) ** 2) + 0.01 * unimportant)


def search(sampler: GridSampler | RandomSampler, seed: int) -> list[dict[str, float]]:
    study = create_study(direction="maximize", sampler=sampler, space=GRID_SPACE, seed=seed)
    study.optimize(lambda t: toy_score(t.suggest_float("important", 0.0, 1.0), t.suggest_float("unimportant", 0.0, 1.0)),
                   n_trials=N_TRIALS)
    return [{**t.params, "value": float(t.value)} for t in study.trials if t.state == TrialState.COMPLETE]


def measure_grid(seed: int, quick: bool) -> Measured:
    """Cheap already: ``quick`` changes nothing."""
    runs = {"grid": search(GridSampler(points=5, seed=sub_seed(seed, "grid")), sub_seed(seed, "grid")),
            "random": search(RandomSampler(sub_seed(seed, "random")), sub_seed(seed, "random"))}
    per = {}
    for name, trials in runs.items():
        best = max(trials, key=lambda t: t["value"])
        per[name] = {"trials": len(trials),
                     "distinct_important": len({round(t["important"], 12) for t in trials}),
                     "distinct_unimportant": len({round(t["unimportant"], 12) for t in trials}),
                     "best_value": best["value"], "best_important": best["important"],
                     "best_distance_to_optimum": abs(best["important"] - OPTIMUM)}
    checks = {
        "random search tries 25 distinct values of the important parameter": per["random"]["distinct_important"] == N_TRIALS,
        "grid search tries only 5": per["grid"]["distinct_important"] == 5,
        "random search finds a better best value than grid search": per["random"]["best_value"] > per["grid"]["best_value"],
    }
    numbers = {"trials": N_TRIALS, "score": f"0.9 * exp(-((important - {OPTIMUM}) / {WIDTH})^2 / 2) + 0.01 * unimportant",
               "optimum_important": OPTIMUM, "searches": per}
    return Measured(numbers, checks, series={"runs": runs})


def draw_grid(measured: Measured, out_dir: Path) -> list[Path]:
    runs = measured.series["runs"]
    per = measured.numbers["searches"]
    fig = new_figure(12, 6.5)
    axes = fig.subplots(2, 2, height_ratios=[1, 2.5], sharex=True)
    xs = np.linspace(0, 1, 400)
    for col, (name, trials) in enumerate(runs.items()):
        top, main = axes[0][col], axes[1][col]
        imp = np.array([t["important"] for t in trials])
        top.plot(xs, [toy_score(x, 0.0) for x in xs], color="k", linewidth=1)
        top.plot(imp, [toy_score(x, 0.0) for x in imp], "o", color=COLORS[col], markersize=5)
        top.set_ylabel("score")
        top.set_title(f"{name} search: {per[name]['distinct_important']} distinct values of the important parameter, "
                      f"best {per[name]['best_value']:.3f}", fontsize=10)
        main.scatter(imp, [t["unimportant"] for t in trials], color=COLORS[col], s=40)
        best = max(trials, key=lambda t: t["value"])
        main.scatter([best["important"]], [best["unimportant"]], marker="*", s=300, color="gold", edgecolor="k",
                     zorder=3, label="best trial")
        main.axvline(OPTIMUM, color="k", linestyle=":", linewidth=1, label=f"optimum {OPTIMUM}")
        main.set_xlabel("important parameter")
        main.set_ylabel("unimportant parameter")
        main.set_xlim(-0.03, 1.03)
        main.set_ylim(-0.03, 1.03)
        main.legend(fontsize=8, loc="upper right")
    fig.suptitle(f"{N_TRIALS} trials of grid and of random search (note 001: don't use a grid); "
                 "top: the score along the important parameter")
    return [save_figure(fig, out_dir, "grid-vs-random")]


# ---------------------------------------------------------------- the notes' random search

HPO_NET = {"model": "mlp", "layers": 6, "units": 100, "activation": "relu", "init": "he_normal", "optimizer": "sgd",
           "batch_size": 100}
HPO_SPACE = Space({"lr": Float(1e-6, 1e-2, log=True), "weight_decay": Float(1e-8, 1e-4, log=True)})
TOP_SHOWN = 20
LR_LOWS = (1e-6, 1e-5, 1e-4, 1e-3)
GUESSING_BAND = 0.2  # twice the accuracy of guessing among 10 classes


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation; tied values (many trials stay at exactly 0.1) share their mean rank."""
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def partial_rank_correlation(a: np.ndarray, b: np.ndarray, given: np.ndarray) -> float:
    """Spearman's correlation of ``a`` and ``b`` with ``given`` held fixed: the learning rate drives
    accuracy, so weight decay draws that happen to follow it would otherwise look like an effect."""
    r_ab, r_ag, r_bg = rank_correlation(a, b), rank_correlation(a, given), rank_correlation(b, given)
    return float((r_ab - r_ag * r_bg) / np.sqrt((1 - r_ag**2) * (1 - r_bg**2)))


def chance_band(n: int) -> float:
    """Three standard errors of a first-order partial correlation of ``n`` independent draws."""
    return 3.0 / float(np.sqrt(max(1, n - 3)))


def measure_hpo(seed: int, quick: bool) -> Measured:
    splits = digit_splits(seed, train_size=400, split=(0.8, 0.1, 0.1))
    n_trials, epochs = (40, 12) if quick else (100, 15)
    study = create_study(direction="maximize", sampler=RandomSampler(sub_seed(seed, "hpo")), space=HPO_SPACE,
                         seed=sub_seed(seed, "hpo"))

    def objective(trial: Trial) -> float:
        params = {**HPO_NET, **trial.suggest_space(HPO_SPACE), "epochs": epochs}

        def report(epoch: int, record: dict[str, Any]) -> bool:
            trial.report(record["value"], epoch, metrics={k: v for k, v in record.items() if k != "layers"})
            return False

        return fit(params, splits, report=report, seed=trial.seed).history[-1]["value"]

    study.optimize(objective, n_trials=n_trials)
    done = sorted((t for t in study.trials if t.state == TrialState.COMPLETE), key=lambda t: -float(t.value or 0))
    lr = np.array([t.params["lr"] for t in done])
    wd = np.array([t.params["weight_decay"] for t in done])
    acc = np.array([float(t.value or 0) for t in done])
    best = [{"rank": i + 1, "trial": t.number, "lr": t.params["lr"], "weight_decay": t.params["weight_decay"],
             "val_accuracy": float(t.value or 0)} for i, t in enumerate(done[:10])]
    top5_lr = [b["lr"] for b in best[:5]]
    rho_lr, rho_wd = rank_correlation(np.log(lr), acc), rank_correlation(np.log(wd), acc)
    rho_wd_given_lr, band = partial_rank_correlation(np.log(wd), acc, np.log(lr)), chance_band(len(done))
    by_decade = {f"{low:g}..{low * 10:g}": [float(a) for a in acc[(lr >= low) & (lr < low * 10)]] for low in LR_LOWS}
    slow = acc[lr < 1e-4]
    checks = {
        "the best trials sit in the top decade of the learning-rate range (all top 5 above 1e-3)": min(top5_lr) > 1e-3,
        "every trial with a learning rate below 1e-4 stays near guessing (validation accuracy under 0.2)":
            bool(slow.size) and float(slow.max()) < GUESSING_BAND,
        f"weight decay barely matters in this range (its rank correlation with accuracy, the learning rate held "
        f"fixed, is within chance: +-{band:.2f}, three standard errors for {len(done)} trials)": abs(rho_wd_given_lr) < band,
        "the best trial learns well above guessing (validation accuracy at least 0.3)": float(acc[0]) >= 0.3,
    }
    curves = [{"rank": i + 1, "lr": t.params["lr"], "weight_decay": t.params["weight_decay"],
               "val_accuracy": [float(m["val_accuracy"]) for m in t.metrics],
               "train_accuracy": [float(m["train_accuracy"]) for m in t.metrics]} for i, t in enumerate(done[:TOP_SHOWN])]
    numbers = {**data_info(splits), "trials": n_trials, "complete": len(done), "epochs": epochs, "network": HPO_NET,
               "space": HPO_SPACE.to_json(), "best": best,
               "rank_correlation_with_val_accuracy": {"log_lr": rho_lr, "log_weight_decay": rho_wd,
                                                      "log_weight_decay_given_log_lr": rho_wd_given_lr,
                                                      "chance_band": band},
               "val_accuracy_by_lr_decade": by_decade,
               "top_curves": curves}
    series = {"lr": lr, "wd": wd, "acc": acc, "curves": curves}
    return Measured(numbers, checks, series=series)


def draw_hpo(measured: Measured, out_dir: Path) -> list[Path]:
    s = measured.series
    n = measured.numbers
    curves = s["curves"]
    cols = 5
    rows = (len(curves) + cols - 1) // cols
    fig = new_figure(15, 2.6 * rows)
    axes = list(fig.subplots(rows, cols, sharex=True, sharey=True).flat)
    for ax, c in zip(axes, curves):
        epochs = np.arange(1, len(c["val_accuracy"]) + 1)
        ax.plot(epochs, c["val_accuracy"], "-", color=COLORS[0], label="validation")
        ax.plot(epochs, c["train_accuracy"], "--", color=COLORS[1], label="train")
        ax.set_title(f"Best-{c['rank']} (val acc {c['val_accuracy'][-1]:.3f})\nlr {c['lr']:.2g}, "
                     f"decay {c['weight_decay']:.2g}", fontsize=8)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    for ax in axes[len(curves):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Random search, {n['complete']} trials of {n['epochs']} epochs on {n['n_train']} {n['data']} images: "
                 f"the {len(curves)} best (solid validation, dashed train; notes' figure 6-24)")
    curves_png = save_figure(fig, out_dir, "hpo-random")

    fig = new_figure(7.5, 5.5)
    ax = fig.subplots()
    points = ax.scatter(s["lr"], s["wd"], c=s["acc"], cmap="viridis", s=30, edgecolor="k", linewidth=0.3)
    top = [b for b in n["best"][:5]]
    ax.scatter([b["lr"] for b in top], [b["weight_decay"] for b in top], marker="*", s=200, facecolor="none",
               edgecolor="red", linewidth=1.2, label="best 5")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log)")
    ax.set_ylabel("weight decay (log)")
    ax.legend(loc="lower left", fontsize=8)
    fig.colorbar(points, ax=ax, label="final validation accuracy")
    rho = n["rank_correlation_with_val_accuracy"]
    ax.set_title(f"Every trial: rank correlation with accuracy, lr {rho['log_lr']:.2f}, "
                 f"decay {rho['log_weight_decay']:.2f}", fontsize=10)
    return [curves_png, save_figure(fig, out_dir, "hpo-random-space")]


LABS = [
    Lab(
        name="search-scale",
        description="1000 draws of a learning rate and of beta on a linear and on a log scale: the share per decade.",
        claim="A linear draw of the learning rate in [1e-4, 1] puts about 90% in [0.1, 1]; a log draw puts about 25% "
              "in each decade. Likewise beta in [0.9, 0.999]: linear puts about 91% below 0.99, the (1 - beta) "
              "scale half and half.",
        text="Draws come from nntune's RandomSampler over a Space holding Float(1e-4, 1), Float(1e-4, 1, log=True), "
             "Float(0.9, 0.999) and Beta(0.9, 0.999), one suggestion per trial number, as a study would make them.",
        measure=measure_scale,
        draw=draw_scale,
    ),
    Lab(
        name="grid-vs-random",
        description="25 trials of grid and of random search on a 2-D problem where only one parameter matters.",
        claim="Random search explores 25 values of the important parameter, a 5 x 5 grid only 5, "
              "and random search finds the better best value.",
        text="Two nntune studies, one with GridSampler(points=5) and one with RandomSampler, each run 25 trials of a "
             "score that is a bump in the important parameter (best at 0.37, between grid points) plus a 1% tilt "
             "in the unimportant one.",
        measure=measure_grid,
        draw=draw_grid,
    ),
    Lab(
        name="hpo-random",
        description="The notes' random search over learning rate (1e-6..1e-2) and weight decay (1e-8..1e-4), 100 trials.",
        claim="The best trials sit in the top decade of the learning-rate range, trials below 1e-4 stay at guessing, "
              "and weight decay barely matters there: the range to narrow next is the learning rate's.",
        text="An nntune study with RandomSampler draws both parameters on a log scale; each trial trains the notes' "
             "7-layer MLP (6 hidden ReLU layers of 100 units, He initialization, SGD, batches of 100) for a few "
             "epochs on 400 MNIST digits and reports its validation accuracy every epoch. The 20 best are "
             "listed and plotted, as in the notes' figure 6-24.",
        measure=measure_hpo,
        draw=draw_hpo,
    ),
]
