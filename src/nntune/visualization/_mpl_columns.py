"""The drawings over ``parallel_data``'s columns, apart so _mpl_figures.py stays readable:
parallel coordinates and the rank plot, which read the same columns (log10 values, choices
as indices with their labels, a Beta's reversed axis), with the helpers that undo those
encodings; and ``_arr``, the None-as-NaN array every drawing takes. matplotlib.py reaches
them through ``_mpl_figures``, which imports them from here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from nntune.report.figures import INFEASIBLE_COLOR

LEGEND_COLOR = "#2F3B52"  # Optuna's colour for the parallel plot's Feasible/Infeasible legend


def _arr(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _plain_name(dim: Mapping[str, Any]) -> str:
    """A parameter's name (``parallel_data`` names a log-scaled column ``log10 <name>``, and a
    Beta's ``log10(1 - <name>)``)."""
    name = str(dim["name"])
    if dim["scale"] == "log" and name.startswith("log10(") and name.endswith(")"):
        return name[len("log10("):-1]
    return name[len("log10 "):] if dim["scale"] == "log" and name.startswith("log10 ") else name


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def parallel_axes(data: Mapping[str, Any], target_name: str, direction: str, *, value_axis: bool = True) -> Axes:
    """A line per complete trial through its parameters (each axis scaled to its range,
    log-scaled ones by decades, choices by label) and its value (without ``value_axis``: no
    axis, the colour alone), coloured by the value."""
    value = [{"name": target_name, "values": data["value"], "scale": "linear"}] if value_axis else []
    dims = [*data["dimensions"], *value]
    fig, ax = plt.subplots(figsize=(max(6.4, 1.8 * len(dims)), 4.8), tight_layout=True)
    ax.set_title("Parallel Coordinate Plot")
    cols = [_arr(d["values"]) for d in dims]
    spans = [(float(np.nanmin(c)), float(np.nanmax(c))) if np.isfinite(c).any() else (0.0, 1.0) for c in cols]
    unit = [(c - lo) / (hi - lo) if hi > lo else np.full(c.shape, 0.5) for c, (lo, hi) in zip(cols, spans)]
    lines = [[(i, float(u[k])) for i, u in enumerate(unit) if np.isfinite(u[k])] for k in range(len(data["value"]))]
    cmap = "viridis_r" if direction == "minimize" else "viridis"
    lc = LineCollection(lines, cmap=cmap, array=_arr(data["value"]), lw=1.2, alpha=0.8, gid="trials")
    feasible = data.get("feasible")
    if feasible is not None:  # as Optuna's: infeasible lines dotted, a legend of the two
        lc.set_linestyle(["solid" if ok else "dotted" for ok in feasible])
        ax.legend(handles=[Line2D([0], [0], color=LEGEND_COLOR, linestyle=style, label=label)
                           for label, style in (("Feasible", "solid"), ("Infeasible", "dotted"))],
                  loc="lower right", bbox_to_anchor=(1.0, 1.02), ncol=2, frameon=False)
    ax.add_collection(lc)
    fig.colorbar(lc, ax=ax, label=target_name)
    for i, (d, (lo, hi)) in enumerate(zip(dims, spans)):
        ax.axvline(i, color="black", lw=1)
        if d["scale"] == "categorical":
            labels = d["ticktext"]
            marks = [((j - lo) / (hi - lo) if hi > lo else 0.5, t) for j, t in enumerate(labels) if lo <= j <= hi]
        else:
            show = (lambda v: _fmt(10 ** v)) if d["scale"] == "log" else _fmt
            marks = [(0.0, show(lo)), (1.0, show(hi))] if hi > lo else [(0.5, show(lo))]
        for y, text in marks:
            ax.text(i + 0.03, y, text, fontsize="small", va="center")
    ax.set_xticks(range(len(dims)), [_plain_name(d) + (" (log)" if d["scale"] == "log" else "") for d in dims],
                  rotation=20)
    ax.set(yticks=[], xlim=(-0.2, len(dims) - 0.6), ylim=(-0.05, 1.05))
    return ax


# values as drawn, a choice's labels, log-scaled, reversed (a Beta's 1 - b)
Column = tuple[np.ndarray, list[str] | None, bool, bool]


def _dim_axis(dim: Mapping[str, Any]) -> Column:
    """A ``parallel_data`` column as drawn: log10 undone, choices as indices with their labels."""
    v = _arr(dim["values"])
    if dim["scale"] == "log":
        return 10 ** v, None, True, bool(dim.get("reversed"))
    return v, dim.get("ticktext") if dim["scale"] == "categorical" else None, False, False


def _rank_cell(ax: Axes, x: Column, y: Column, rank: np.ndarray, feasible: np.ndarray) -> None:
    """The trials at ``x`` against ``y``, coloured by rank (0 the best, red); those that broke
    the study's constraints (``feasible`` False) grey, as Optuna's rank plot colours them."""
    ax.scatter(x[0][feasible], y[0][feasible], c=rank[feasible], cmap="RdYlBu", vmin=0, vmax=1, edgecolors="grey",
               s=24, gid="trials")
    if not feasible.all():
        ax.scatter(x[0][~feasible], y[0][~feasible], color=INFEASIBLE_COLOR, edgecolors="grey", s=24,
                   gid="infeasible")
    for (_, labels, log, flip), set_scale, set_ticks, invert in ((x, ax.set_xscale, ax.set_xticks, ax.invert_xaxis),
                                                                 (y, ax.set_yscale, ax.set_yticks, ax.invert_yaxis)):
        if log:
            set_scale("log")
        if flip:
            invert()  # beta grows to the right and up
        if labels is not None:
            set_ticks(range(len(labels)), labels)


def rank_axes(data: Mapping[str, Any], target_name: str) -> Axes | np.ndarray:
    """Parameters against each other (one parameter: against the value), each complete trial
    coloured by its value's ``rank``, 0 the best; with more than two, every pair as a matrix."""
    values, rank = _arr(data["value"]), _arr(data["rank"])
    feasible = np.array(data.get("feasible") or [True] * len(values), dtype=bool)
    dims = data["dimensions"]
    names = [_plain_name(d) for d in dims]
    axes = [_dim_axis(d) for d in dims]
    title = f"Rank ({target_name})"
    if len(dims) <= 2:
        fig, ax = plt.subplots(tight_layout=True)
        ax.set_title(title)
        if not dims:
            return ax
        y = axes[1] if len(dims) == 2 else (values, None, False, False)
        _rank_cell(ax, axes[0], y, rank, feasible)
        ax.set(xlabel=names[0], ylabel=names[1] if len(dims) == 2 else target_name)
        out: Any = ax
    else:
        n = len(dims)
        fig, out = plt.subplots(n, n, figsize=(min(3.0 * n, 24), min(3.0 * n, 24)), squeeze=False)
        fig.suptitle(title)
        for r in range(n):
            for c in range(n):
                ax = out[r, c]
                if r == c:
                    ax.text(0.5, 0.5, names[r], ha="center", va="center", transform=ax.transAxes)
                    ax.set(xticks=[], yticks=[])
                else:
                    _rank_cell(ax, axes[c], axes[r], rank, feasible)
                ax.set_xlabel(names[c] if r == n - 1 else "")
                ax.set_ylabel(names[r] if c == 0 else "")
    fig.colorbar(ScalarMappable(norm=Normalize(0, 1), cmap="RdYlBu"), ax=out, label="rank (0 best)")
    return out
