"""Matplotlib drawings of Optuna's plots, each from the plain data ``visualization._data``
gathers (the data ``report/figures.py`` draws with plotly), on ``pyplot.subplots()`` so
``plt.show()`` and ``plt.savefig()`` work as usual. Each returns its Axes, or a numpy array
of Axes for a figure of several panels.

Conventions: log-scaled parameters on log axes, choices by their labels, pruned trials as
grey crosses apart from the complete ones, every panel titled and labelled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from nntune.report.figures import (INFEASIBLE, INFEASIBLE_COLOR, PALETTE, TIMELINE_COLORS, TIMELINE_KINDS,
                                   curve_group, feasible_points, pareto_kind, pareto_label, slice_kind, timeline_kind,
                                   timeline_name)
from nntune.visualization._mpl_columns import _arr, parallel_axes, rank_axes  # noqa: F401 (matplotlib.py: draw.*)

COMPLETE, PRUNED, BEST, BAND = "#1f77b4", "#7f7f7f", "#d62728", "#bbbbbb"


def _legend(ax: Axes) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")


def history_axes(h: Mapping[str, Any], target_name: str) -> Axes:
    """Complete trials' values, pruned trials' last values (crosses) and the best so far (a step
    line); the complete trials that broke the study's constraints apart in grey, unlabelled,
    as Optuna's history draws them."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Optimization History Plot", xlabel="Trial", ylabel=target_name)
    ax.scatter(*feasible_points(h), s=18, color=COMPLETE, alpha=0.8, label=target_name, gid="complete")
    if h["pruned_number"]:
        ax.scatter(h["pruned_number"], h["pruned_value"], s=18, marker="x", color=PRUNED,
                   label="pruned (value where it stopped)", gid="pruned")
    if h["best_number"]:
        ax.step(h["best_number"], h["best_value"], where="post", color=BEST, lw=2, label="Best Value", gid="best")
    if h.get("infeasible_number"):
        ax.scatter(h["infeasible_number"], h["infeasible_value"], s=18, color=INFEASIBLE_COLOR, gid="infeasible")
    _legend(ax)
    return ax


def histories_axes(curves: Sequence[Mapping[str, Any]], target_name: str) -> Axes:
    """Several studies' histories on one axes, a colour per study: values and best so far, the
    trials that broke a study's constraints apart in grey, unlabelled, as Optuna's."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Optimization History Plot", xlabel="Trial", ylabel=target_name)
    for i, h in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        ax.scatter(*feasible_points(h), s=14, color=color, alpha=0.45, label=f"{target_name} of {h['name']}",
                   gid=f"{h['name']} trials")
        if h["best_number"]:
            ax.step(h["best_number"], h["best_value"], where="post", color=color, lw=2,
                    label=f"Best Value of {h['name']}", gid=f"{h['name']} best")
        if h.get("infeasible_number"):
            ax.scatter(h["infeasible_number"], h["infeasible_value"], s=14, color=INFEASIBLE_COLOR,
                       gid=f"{h['name']} infeasible")
    _legend(ax)
    return ax


def history_band_axes(band: Mapping[str, Any], target_name: str) -> Axes:
    """Runs of one search per trial number: the values' mean with one standard deviation as
    error bars, and the best so far's mean in a band of one standard deviation."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Optimization History Plot", xlabel="Trial", ylabel=target_name)
    x = np.array(band["number"], dtype=float)
    best, spread = _arr(band["best_mean"]), _arr(band["best_std"])
    if np.isfinite(best).any():  # none for a target, whose better direction is unknown
        ax.fill_between(x, best - spread, best + spread, step="post", color=BEST, alpha=0.15, lw=0,
                        label="Best Value ± 1 std", gid="best band")
        ax.step(x, best, where="post", color=BEST, lw=2,
                label="Best Value", gid="best")  # the mean of the runs' bests, as Optuna's legend names it
    ax.errorbar(x, _arr(band["value_mean"]), yerr=_arr(band["value_std"]), fmt="o", ms=3, color=COMPLETE,
                elinewidth=1, label=target_name, gid="values")
    _legend(ax)
    return ax


def intermediate_axes(data: Mapping[str, Any]) -> Axes:
    """Every reported curve (pruned ones apart, a cross where they stopped; a trial that broke
    the study's constraints grey, as Optuna's), the 10-90% band and median per step over all
    trials, and stored learning-curve predictions (dashed)."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Intermediate Values Plot", xlabel="Step", ylabel="Intermediate Value")
    steps, band = data["band_steps"], data["band"]
    if steps:
        ax.fill_between(steps, band["q10"], band["q90"], color=BAND, alpha=0.4, lw=0, label="10-90% of all trials")
        ax.plot(steps, band["q50"], color="#555555", ls=":", lw=2, label="median of all trials")
    labelled: set[str] = set()
    for c in data["curves"]:
        # A failed or running trial's curve is no complete one; a trial that broke the study's
        # constraints is grey whatever its state, as Optuna's plot draws it.
        kind = INFEASIBLE if curve_group(c) == INFEASIBLE else str(c["state"])
        label = "_nolegend_" if kind in labelled else (kind if kind == INFEASIBLE else f"{kind} trials")
        labelled.add(kind)
        color = {"complete": COMPLETE, "pruned": PRUNED, INFEASIBLE: INFEASIBLE_COLOR}.get(
            kind, TIMELINE_COLORS.get(kind, BAND))
        ax.plot(c["steps"], _arr(c["values"]), lw=1, alpha=0.7, color=color, label=label, gid=f"trial {c['number']}")
    ends = [c for c in data["curves"] if c["state"] == "pruned" and c["steps"]]
    if ends:
        ax.scatter([c["steps"][-1] for c in ends], [c["values"][-1] for c in ends], marker="x", color=BEST,
                   zorder=3, label="where pruned")
    for i, p in enumerate(data.get("predictions", ())):
        color = PALETTE[i % len(PALETTE)]
        ax.fill_between(p["steps"], p["low"], p["high"], color=color, alpha=0.15, lw=0)
        xs = ([p["step"]] if p["value"] is not None else []) + list(p["steps"])
        ys = ([p["value"]] if p["value"] is not None else []) + list(p["mean"])
        ax.plot(xs, ys, ls="--", lw=2, color=color, label=f"trial {p['number']} predicted at step {p['step']}")
    _legend(ax)
    return ax


def _place(values: Sequence[Any], categories: Sequence[str] | None) -> np.ndarray:
    """Numeric positions: a choice by its index among ``categories``."""
    if categories is None:
        return _arr(values)
    return np.array([categories.index(str(v)) if str(v) in categories else np.nan for v in values], dtype=float)


def _slice_panel(ax: Axes, s: Mapping[str, Any], vmax: float) -> Any:
    """One parameter's slice; the complete trials' scatter (coloured by trial number) comes back."""
    kinds = [slice_kind(s, j) for j in range(len(s["number"]))]
    done, broke, stopped = ([j for j, k in enumerate(kinds) if k == kind] for kind in ("complete", INFEASIBLE, "pruned"))
    xs = [1 - v if s.get("beta") else v for v in s["x"]]
    pos = _place(xs, s["categories"] if s["categorical"] else None)
    sc = ax.scatter(pos[done], [s["value"][j] for j in done], c=[s["number"][j] for j in done], cmap="Blues",
                    vmin=0, vmax=vmax, edgecolors="grey", s=24, label="complete", gid="complete")
    if broke:  # apart in Optuna's grey, off the colour scale of trial numbers
        ax.scatter(pos[broke], [s["value"][j] for j in broke], color=INFEASIBLE_COLOR, s=24, label=INFEASIBLE,
                   gid="infeasible")
    if stopped:
        ax.scatter(pos[stopped], [s["value"][j] for j in stopped], marker="x", color=PRUNED, s=24,
                   label="pruned", gid="pruned")
    ax.set_xlabel(f"1 - {s['name']}" if s.get("beta") else s["name"])
    if s["log"] or s.get("beta"):
        ax.set_xscale("log")
    if s.get("beta"):
        ax.invert_xaxis()  # beta near 1 to the right
    if s["categorical"]:
        ax.set_xticks(range(len(s["categories"])), s["categories"])
        ax.set_xlim(-0.5, len(s["categories"]) - 0.5)
    return sc


def slice_axes(slices: Sequence[Mapping[str, Any]], target_name: str) -> Axes | np.ndarray:
    """A panel per parameter, in one row sharing the value axis, and a colorbar of trial numbers."""
    if not slices:
        _, ax = plt.subplots()
        ax.set_title("Slice Plot")
        return ax
    n = len(slices)
    width, height = plt.rcParams["figure.figsize"]
    fig, axs = plt.subplots(1, n, sharey=True, squeeze=False, figsize=(max(width, 3.2 * n), height))
    fig.suptitle("Slice Plot")
    vmax = max([max(s["number"], default=0) for s in slices] + [1])
    for ax, s in zip(axs[0], slices):
        sc = _slice_panel(ax, s, vmax)
    axs[0, 0].set_ylabel(target_name)
    if any(slice_kind(s, j) != "complete" for s in slices for j in range(len(s["number"]))):
        axs[0, 0].legend(loc="best", fontsize="small")
    fig.colorbar(sc, ax=axs[0].tolist(), label="Trial")
    return axs[0, 0] if n == 1 else axs[0]


def _contour_cell(ax: Axes, data: Mapping[str, Any], norm: Normalize, cmap: str) -> None:
    """An interpolated surface under the trials' points (a choice at its label's place, in
    the space's order); points coloured by their value where there is none to draw, those
    that broke the study's constraints grey."""
    xs, ys = (_place(a["values"], a.get("categories")) for a in (data["x"], data["y"]))
    met = np.array(data.get("feasible") or [True] * len(xs), dtype=bool)
    if data["grid"] is not None:
        g = data["grid"]
        gx, gy = (_place(g[k], a.get("categories")) for k, a in (("x", data["x"]), ("y", data["y"])))
        z = np.array(g["z"], dtype=float)
        levels = np.linspace(norm.vmin, norm.vmax, 16)
        ax.contourf(gx, gy, z, levels=levels, cmap=cmap, norm=norm)
        if np.ptp(z) > 1e-9 * (norm.vmax - norm.vmin):  # a flat surface has no contour lines to draw
            ax.contour(gx, gy, z, levels=levels, colors="black", linewidths=0.4)
        ax.scatter(xs[met], ys[met], color=BEST, edgecolors="white", s=22, zorder=3, label="trials", gid="trials")
    else:
        ax.scatter(xs[met], ys[met], c=np.asarray(data["value"], dtype=float)[met], cmap=cmap, norm=norm,
                   edgecolors="grey", s=28, zorder=3, label="trials", gid="trials")
    if not met.all():  # apart in Optuna's grey: the surface reads their values all the same, as Optuna's
        ax.scatter(xs[~met], ys[~met], color=INFEASIBLE_COLOR, edgecolors="grey", s=22, zorder=3, label=INFEASIBLE,
                   gid="infeasible")
    for axis, set_scale, set_ticks, set_lim, invert in (
            (data["x"], ax.set_xscale, ax.set_xticks, ax.set_xlim, ax.invert_xaxis),
            (data["y"], ax.set_yscale, ax.set_yticks, ax.set_ylim, ax.invert_yaxis)):
        if axis["log"]:
            set_scale("log")
        if axis.get("reversed"):
            invert()  # a Beta's 1 - b: beta grows to the right and up
        if axis.get("categories") is not None:
            set_ticks(range(len(axis["categories"])), axis["categories"])
            set_lim(-0.5, len(axis["categories"]) - 0.5)


def contour_axes(params: Sequence[str], cells: Mapping[tuple[str, str], Mapping[str, Any]],
                 target_name: str, direction: str = "maximize") -> Axes | np.ndarray:
    """The value over two parameters, or with more every pair as a matrix (row ``y``,
    column ``x``, names on the diagonal), on one colour scale: the darkest blue the best
    value in ``direction``, as Optuna colours it."""
    cmap = "Blues_r" if direction == "minimize" else "Blues"
    values = [v for c in cells.values() for v in c["value"]]
    values += [v for c in cells.values() if c["grid"] is not None for row in c["grid"]["z"] for v in row]
    low, high = min(values, default=0.0), max(values, default=1.0)
    if math.isclose(low, high, rel_tol=1e-9, abs_tol=1e-12):  # one value (interpolation may add rounding):
        pad = 0.05 * abs(low) or 0.5  # a colour scale around it, with levels that increase
        low, high = low - pad, high + pad
    norm = Normalize(low, high)
    n = len(params)
    if n == 2:
        fig, ax = plt.subplots(tight_layout=True)
        ax.set(title="Contour Plot", xlabel=params[0], ylabel=params[1])
        _contour_cell(ax, cells[(params[0], params[1])], norm, cmap)
        axs: Any = ax
    else:
        fig, axs = plt.subplots(n, n, figsize=(min(3.0 * n, 24), min(3.0 * n, 24)), squeeze=False)
        fig.suptitle("Contour Plot")
        for r, y in enumerate(params):
            for c, x in enumerate(params):
                ax = axs[r, c]
                if x == y:
                    ax.text(0.5, 0.5, x, ha="center", va="center", transform=ax.transAxes)
                    ax.set(xticks=[], yticks=[])
                else:
                    _contour_cell(ax, cells[(x, y)], norm, cmap)
                ax.set_xlabel(x if r == n - 1 else "")
                ax.set_ylabel(y if c == 0 else "")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axs, label=target_name)
    return axs


def edf_axes(curves: Sequence[Mapping[str, Any]], target_name: str) -> Axes:
    """The share of complete trials at or below each value, a step line per study."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Empirical Distribution Function Plot", xlabel=target_name, ylabel="Cumulative Probability",
           ylim=(0, 1.02))
    for i, d in enumerate(curves):
        ax.step(d["value"], d["share"], where="post", color=PALETTE[i % len(PALETTE)], label=d["name"])
    _legend(ax)
    return ax


def timeline_axes(data: Mapping[str, Any]) -> Axes:
    """A bar per trial from its start to its end (a running trial: its start), coloured by
    state; a complete trial that broke the study's constraints grey, as "INFEASIBLE"."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Timeline Plot", xlabel="Datetime", ylabel="Trial")
    for kind, color in TIMELINE_KINDS.items():
        rows = [r for r in data["rows"] if timeline_kind(r) == kind]
        if not rows:
            continue
        start = mdates.date2num([datetime.fromisoformat(r["start"]) for r in rows])
        end = mdates.date2num([datetime.fromisoformat(r["end"] or r["start"]) for r in rows])
        ax.barh([r["number"] for r in rows], end - start, left=start, height=0.8, color=color,
                label=timeline_name(kind))  # COMPLETE, FAIL, ..., INFEASIBLE: Optuna's legend
    ax.xaxis_date()
    _legend(ax)
    return ax


def importance_axes(groups: Sequence[tuple[str, Mapping[str, Any]]]) -> Axes:
    """Each parameter's share (largest on top), with its spread as an error bar: a bar per
    ``(name, importances)`` group (an objective each), the first on top of each parameter."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Hyperparameter Importances", xlabel="Hyperparameter Importance", ylabel="Hyperparameter",
           xlim=(0, 1.15))
    names = list(groups[0][1]["importance"])[::-1]
    height = 0.8 / len(groups)
    for k, (label, imp) in enumerate(groups):
        shares = [float(imp["importance"].get(n, 0.0)) for n in names]
        place = np.arange(len(names)) + ((len(groups) - 1) / 2 - k) * height
        bars = ax.barh(place, shares, height=height, xerr=[float(imp["std"].get(n, 0.0)) for n in names],
                       color=COMPLETE if k == 0 else PALETTE[k % len(PALETTE)], label=label)
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in shares], padding=3)
    ax.set_yticks(range(len(names)), names)
    _legend(ax)
    return ax


def pareto_axes(data: Mapping[str, Any]) -> Axes:
    """Trials on two (or the first three) objectives, dominated ones grey, the front red and
    those that broke the constraints light grey, labelled as Optuna labels them: "Trial"
    ("Feasible Trial" beside infeasible ones), "Best Trial" and "Infeasible Trial"."""
    names, k = data["names"], min(3, len(data["names"]))
    kw: dict[str, Any] = {"subplot_kw": {"projection": "3d"}} if k == 3 else {"tight_layout": True}
    _, ax = plt.subplots(**kw)
    ax.set(title="Pareto-front Plot", xlabel=names[0], ylabel=names[1])
    if k == 3:
        ax.set_zlabel(names[2])  # type: ignore[attr-defined]
    kinds = [pareto_kind(data, i) for i in range(len(data["values"]))]
    for kind, color in (("infeasible", "#cccccc"), ("dominated", PRUNED), ("front", BEST)):
        idx = [i for i, drawn in enumerate(kinds) if drawn == kind]
        if idx:
            cols = [[data["values"][i][j] for i in idx] for j in range(k)]
            ax.scatter(*cols, color=color, s=24, label=pareto_label(kind, "infeasible" in kinds), gid=kind)
    _legend(ax)
    return ax


def hypervolume_axes(numbers: Sequence[int], volumes: Sequence[float]) -> Axes:
    """The hypervolume the complete trials so far dominate, trial by trial."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Hypervolume History Plot", xlabel="Trial", ylabel="Hypervolume")
    ax.step(list(numbers), list(volumes), where="post", marker="o", color=COMPLETE, label="Hypervolume")
    _legend(ax)
    return ax


def terminator_axes(data: Mapping[str, Any], min_n_trials: int) -> Axes:
    """The room left for improvement after each trial (lighter before ``min_n_trials``) and
    the error it is compared with, when given."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set(title="Terminator Improvement Plot", xlabel="Trial", ylabel="Terminator Improvement")
    numbers, gains = list(data["number"]), list(data["improvement"])
    ax.plot(numbers[:min_n_trials + 1], gains[:min_n_trials + 1], marker="o", color=COMPLETE, alpha=0.3,
            label="Terminator Improvement" if len(numbers) <= min_n_trials else None)
    if len(numbers) > min_n_trials:
        ax.plot(numbers[min_n_trials:], gains[min_n_trials:], marker="o", color=COMPLETE,
                label="Terminator Improvement")
    if data.get("error") is not None:
        ax.plot(numbers, list(data["error"]), marker="o", color="tab:red", label="Error")
    shown = (gains[min_n_trials:] or gains) + list(data.get("error") or [])
    if shown:
        pad = 0.05 * ((max(shown) - min(shown)) or 1.0)
        ax.set_ylim(min(shown + gains) - pad, max(shown) + pad)
    _legend(ax)
    return ax
