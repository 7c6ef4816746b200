"""Plotly figures of the report, one function per plot, each drawn from report data alone."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nntune.report._pair_figures import (INFEASIBLE, INFEASIBLE_COLOR, LAYOUT, _arr, _fig,  # noqa: F401 (figures.*)
                                         contour_figure, contour_matrix_figure, rank_figure)
from nntune.report.html_parts import param_text
from nntune.trial import TrialState

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
COMPLETE_COLOR, PRUNED_COLOR, BAND_COLOR = "rgba(31,119,180,0.35)", "rgba(255,127,14,0.6)", "rgba(120,120,120,0.18)"
TRIAL_SCALE = [[0.0, "#9ecae1"], [1.0, "#08306b"]]  # early trials light blue, late ones dark (never white)


# The plots' words, as Optuna's plots (and nntune.visualization's) name their parts.
BEST_VALUE, TRIAL = "Best Value", "Trial"  # INFEASIBLE: _pair_figures', Optuna's "Infeasible Trial"


def history_figure(h: Mapping[str, Any], metric: str) -> go.Figure:
    """Each complete trial's value that met the study's constraints (named ``metric``), the
    best so far among them ("Best Value"), and those that broke a constraint apart in grey
    ("Infeasible Trial", off the legend), as Optuna's history draws them."""
    fig = go.Figure()
    number, value = feasible_points(h)
    fig.add_trace(go.Scatter(x=_arr(number), y=_arr(value), mode="markers", name=metric,
                             marker={"size": 5, "color": "rgba(31,119,180,0.5)"},
                             hovertemplate="trial %{x}<br>value %{y:.4g}<extra></extra>"))
    if h["pruned_number"]:
        fig.add_trace(go.Scatter(x=_arr(h["pruned_number"]), y=_arr(h["pruned_value"]), mode="markers",
                                 name="stopped early (value where it stopped)",
                                 marker={"size": 5, "symbol": "x", "color": "rgba(120,120,120,0.5)"},
                                 hovertemplate="trial %{x} (pruned)<br>value %{y:.4g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=h["best_number"], y=h["best_value"], mode="lines", name=BEST_VALUE,
                             line={"color": "#d62728", "width": 2, "shape": "hv"}))
    if h.get("infeasible_number"):  # last, as Optuna draws them
        fig.add_trace(go.Scatter(x=_arr(h["infeasible_number"]), y=_arr(h["infeasible_value"]), mode="markers",
                                 name=INFEASIBLE, showlegend=False, marker={"size": 5, "color": INFEASIBLE_COLOR},
                                 hovertemplate="trial %{x} (infeasible)<br>value %{y:.4g}<extra></extra>"))
    return _fig(fig, 380, xaxis_title=TRIAL, yaxis_title=f"validation {metric}",
                xaxis_range=[-0.5, max(h["n_trials"], 2) - 0.5])


def feasible_points(h: Mapping[str, Any]) -> tuple[list[int], list[float]]:
    """The numbers and values of a :func:`~nntune.report.data.history_data`'s complete trials
    that met the study's constraints: the others are no points of the value trace in Optuna's
    history (all of them where ``feasible`` is missing)."""
    met = h.get("feasible") or [True] * len(h["number"])
    return ([n for n, ok in zip(h["number"], met) if ok], [v for v, ok in zip(h["value"], met) if ok])


def histories_figure(curves: Sequence[Mapping[str, Any]], metric: str) -> go.Figure:
    """Several studies' histories on one axis, a colour per study (``name``): each complete
    trial's value that met the study's constraints ("<metric> of <study>"), the best so far
    among them ("Best Value of <study>"), and those that broke them in grey, off the legend,
    as Optuna draws and names them."""
    fig = go.Figure()
    for i, h in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        number, value = feasible_points(h)
        fig.add_trace(go.Scatter(x=_arr(number), y=_arr(value), mode="markers",
                                 name=f"{metric} of {h['name']}",
                                 legendgroup=h["name"], marker={"size": 5, "color": _fade(color, 0.5)}))
        fig.add_trace(go.Scatter(x=h["best_number"], y=h["best_value"], mode="lines",
                                 name=f"{BEST_VALUE} of {h['name']}",
                                 legendgroup=h["name"], line={"color": color, "width": 2, "shape": "hv"}))
        if h.get("infeasible_number"):
            fig.add_trace(go.Scatter(x=_arr(h["infeasible_number"]), y=_arr(h["infeasible_value"]), mode="markers",
                                     name=INFEASIBLE, legendgroup=h["name"], showlegend=False,
                                     marker={"size": 5, "color": INFEASIBLE_COLOR}))
    return _fig(fig, 380, xaxis_title=TRIAL, yaxis_title=metric)


def history_band_figure(band: Mapping[str, Any], metric: str) -> go.Figure:
    """Runs of one search (a study each) per trial number: the values' mean with one
    standard deviation as error bars, and the best so far's mean in a band of one standard
    deviation, named as Optuna's legend names them ("Best Value", the values by ``metric``)."""
    x = np.array(band["number"], dtype=float)
    best, spread = _arr(band["best_mean"]), _arr(band["best_std"])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([best + spread, (best - spread)[::-1]]),
                             fill="toself", fillcolor=_fade(PALETTE[1]), line={"width": 0}, hoverinfo="skip",
                             name=f"{BEST_VALUE} ± 1 std"))
    fig.add_trace(go.Scatter(x=x, y=best, mode="lines", name=BEST_VALUE,  # the mean of the runs' bests
                             line={"color": PALETTE[1], "width": 2, "shape": "hv"}))
    fig.add_trace(go.Scatter(x=x, y=_arr(band["value_mean"]), mode="markers", name=metric,
                             error_y={"type": "data", "array": _arr(band["value_std"]), "thickness": 1},
                             marker={"size": 5, "color": PALETTE[0]}))
    return _fig(fig, 380, xaxis_title=TRIAL, yaxis_title=metric)


def learning_curves_figure(curves: Sequence[Mapping[str, Any]], metric: str) -> go.Figure:
    # A study of the loss whose records pair it with no other metric (task.metric: loss) has
    # one pair of curves: a second panel would draw the loss again.
    panels = (("loss",) if metric == "loss" else ("loss", "metric"))
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=("loss", metric)[:len(panels)],
                        horizontal_spacing=0.08)
    lines_at: dict[int, int] = {}
    for i, c in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        for col, key in enumerate(panels, start=1):
            for split, dash in (("train", "solid"), ("val", "dash")):
                fig.add_trace(go.Scatter(
                    x=c["epoch"], y=c[f"{split}_{key}"], mode="lines+markers", marker={"size": 4},
                    line={"color": color, "dash": dash}, legendgroup=str(c["number"]),
                    name=f"trial {c['number']} {'training' if split == 'train' else 'validation'}",
                    showlegend=col == 1), row=1, col=col)
        for epoch, text in change_labels(c).items():  # a dotted line after the epoch that took the changes
            # Lines of several trials at one epoch would write their labels over each other: each goes lower.
            below = lines_at.get(epoch, 0)
            lines_at[epoch] = below + 1
            fig.add_vline(x=epoch + 0.5, line={"color": color, "dash": "dot", "width": 1}, annotation_text=text,
                          annotation_font_size=10, annotation_yshift=-14 * below, row=1, col="all")
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(type="log", row=1, col=1)  # losses span decades (a bad first epoch dwarfs the rest)
    return _fig(fig, 420)


def change_labels(curve: Mapping[str, Any]) -> dict[int, str]:
    """Per epoch, one label of all the changes a trial took there ("#10 lr 0.02307→0.02768,
    lr_schedule cosine→constant"): values as the report writes them, not a float's 17 digits,
    and one label per epoch, since labels of one line drawn apart would overlap."""
    out: dict[int, list[str]] = {}
    for change in curve.get("changes", ()):
        out.setdefault(int(change["epoch"]), []).append(
            f"{change['param']} {param_text(change['old'])}→{param_text(change['new'])}")
    return {epoch: f"#{curve['number']} " + ", ".join(parts) for epoch, parts in out.items()}


def layers_figure(curve: Mapping[str, Any]) -> go.Figure:
    """Gradient norm and activation std per layer over the epochs of one trial (log axes)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("gradient norm per layer", "activation std per layer"),
                        horizontal_spacing=0.08)
    for i, (name, row) in enumerate(curve["layers"].items()):
        color = PALETTE[i % len(PALETTE)]
        for col, key in ((1, "grad_norm"), (2, "act_std")):
            fig.add_trace(go.Scatter(x=curve["epoch"], y=[v if v and v > 0 else None for v in row[key]],
                                     mode="lines", name=name, legendgroup=name, showlegend=col == 1,
                                     line={"color": color}), row=1, col=col)
    fig.update_yaxes(type="log")
    fig.update_xaxes(title_text="epoch")
    return _fig(fig, 360)


def intermediate_figure(data: Mapping[str, Any], metric: str) -> go.Figure:
    """Every reported curve by :func:`curve_group` (a trial that broke the study's constraints
    grey, as Optuna's), pruned ones marked where they stopped, over the 10-90% band per step."""
    fig = go.Figure()
    band, steps = data["band"], data["band_steps"]
    if steps:
        fig.add_trace(go.Scatter(x=steps + steps[::-1], y=band["q90"] + band["q10"][::-1], fill="toself",
                                 fillcolor=BAND_COLOR, line={"width": 0}, name="10-90% of all trials",
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=steps, y=band["q50"], mode="lines", name="median of all trials",
                                 line={"color": "#555", "width": 2, "dash": "dot"}))
    # One trace per group, curves separated by gaps: hundreds of curves stay one object each.
    for group, name, color in ((INFEASIBLE, INFEASIBLE, INFEASIBLE_COLOR), ("complete", "other trials", COMPLETE_COLOR),
                               ("pruned", "stopped early (pruned)", PRUNED_COLOR)):
        members = [c for c in data["curves"] if curve_group(c) == group]
        if not members:
            continue
        xs: list[Any] = []
        ys: list[Any] = []
        who: list[Any] = []
        for c in members:
            xs += [*c["steps"], None]
            ys += [*c["values"], None]
            # Each curve's own state: the "other trials" are failed, diverged or running ones too.
            who += [f"{c['number']} ({c['state']})"] * len(c["steps"]) + [None]
        fig.add_trace(go.Scatter(x=_arr(xs), y=_arr(ys), customdata=np.array(who, dtype=object), mode="lines",
                                 name=name, legendgroup=group, line={"width": 1, "color": color}, connectgaps=False,
                                 hovertemplate="trial %{customdata}<br>epoch %{x}: %{y:.4g}<extra></extra>"))
    ends = [c for c in data["curves"] if c["state"] == "pruned" and c["steps"]]
    if ends:
        fig.add_trace(go.Scatter(x=[c["steps"][-1] for c in ends], y=[c["values"][-1] for c in ends],
                                 mode="markers", name="where pruned", legendgroup="pruned",
                                 marker={"symbol": "x", "size": 7, "color": "#d62728"},
                                 text=[f"trial {c['number']}" for c in ends]))
    _draw_predictions(fig, data.get("predictions", ()))
    return _fig(fig, 420, xaxis_title="epoch", yaxis_title=f"validation {metric}")


def curve_group(curve: Mapping[str, Any]) -> str:
    """Which trace an :func:`~nntune.report.data.intermediate_data` curve is drawn in: grey
    (:data:`INFEASIBLE`) for a trial that broke the study's constraints, whatever its state, as
    Optuna's plot greys it; else ``pruned`` or ``complete`` (failed and running ones too)."""
    if curve.get("feasible") is False:
        return INFEASIBLE
    return "pruned" if curve["state"] == "pruned" else "complete"


def _draw_predictions(fig: go.Figure, predictions: Sequence[Mapping[str, Any]]) -> None:
    """Each stored prediction as a dashed line from the epoch it was made at, in a band of
    one standard deviation."""
    for i, p in enumerate(predictions):
        color = PALETTE[i % len(PALETTE)]
        xs = ([p["step"]] if p["value"] is not None else []) + list(p["steps"])
        chance = "" if p["p_beat"] is None else f", P(beats the best) {p['p_beat']:.2g}"
        name = f"trial {p['number']} predicted at epoch {p['step']}{chance}"
        fig.add_trace(go.Scatter(x=list(p["steps"]) + list(p["steps"])[::-1], y=list(p["high"]) + list(p["low"])[::-1],
                                 fill="toself", fillcolor=_fade(color), line={"width": 0}, hoverinfo="skip",
                                 legendgroup=f"prediction-{p['number']}", showlegend=False))
        fig.add_trace(go.Scatter(x=xs, y=([p["value"]] if p["value"] is not None else []) + list(p["mean"]),
                                 mode="lines", name=name, legendgroup=f"prediction-{p['number']}",
                                 line={"color": color, "dash": "dash", "width": 2}))


def _fade(hex_color: str, alpha: float = 0.15) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def parcoords_dimension(d: Mapping[str, Any]) -> dict[str, Any]:
    """One axis of the parallel coordinates. Plotly drops a line missing any value, so a trial
    without a conditional parameter passes a "none" slot (after a choice's values, below a range)."""
    values = _arr(d["values"])
    missing = np.isnan(values)
    if d["scale"] == "categorical":
        ticktext = list(d["ticktext"]) + (["none"] if missing.any() else [])
        return {"label": d["name"], "values": np.where(missing, len(d["ticktext"]), values),
                "tickvals": list(range(len(ticktext))), "ticktext": ticktext}
    if not missing.any() or missing.all():
        return {"label": d["name"], "values": values}
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    slot = lo - 0.2 * (hi - lo if hi > lo else 1.0)
    ticks = [float(v) for v in np.linspace(lo, hi, 5)] if hi > lo else [lo]
    return {"label": d["name"], "values": np.where(missing, slot, values), "range": [slot, hi],
            "tickvals": [slot, *ticks], "ticktext": ["none", *(f"{v:.3g}" for v in ticks)]}


GREY_SHARE = 0.02  # the foot of a parallel plot's colour scale kept for the infeasible lines


def parallel_figure(data: Mapping[str, Any], metric: str, direction: str) -> go.Figure:
    """A line per trial through ``data``'s columns and its value, coloured by the value; a
    line that broke the study's constraints (``feasible`` False) grey (a parcoords line cannot
    be dotted as Optuna's are: grey is how Optuna's other plots mark them)."""
    dims = [parcoords_dimension(d) for d in data["dimensions"]]
    values = _arr(data["value"])
    dims.append({"label": metric, "values": values})
    line: dict[str, Any] = {"color": values, "colorscale": "Viridis", "reversescale": direction == "minimize",
                            "showscale": True, "colorbar": {"title": {"text": metric}}}
    feasible = data.get("feasible")
    if feasible is not None and not all(feasible):
        line.update(_greyed_line(values, np.array(feasible, dtype=bool), direction))
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line))
    return _fig(fig, 420, margin={"l": 70, "r": 70, "t": 60, "b": 30})


def _greyed_line(values: np.ndarray, feasible: np.ndarray, direction: str) -> dict[str, Any]:
    """Parcoords colours come from one scale: Viridis over the feasible values, below it a
    foot of :data:`GREY_SHARE` in Optuna's grey where the infeasible lines are placed."""
    from plotly.colors import sequential

    shown = values[feasible & np.isfinite(values)]
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    floor = lo - (hi - lo) * GREY_SHARE / (1 - GREY_SHARE)
    ramp = list(sequential.Viridis)[::-1 if direction == "minimize" else 1]  # the best value the brightest
    scale = [[0.0, INFEASIBLE_COLOR], [GREY_SHARE, INFEASIBLE_COLOR]] + [
        [GREY_SHARE + (1 - GREY_SHARE) * i / (len(ramp) - 1), c] for i, c in enumerate(ramp)]
    return {"color": np.where(feasible, values, floor), "colorscale": scale, "reversescale": False,
            "cmin": floor, "cmax": hi}


def slices_figure(slices: Sequence[Mapping[str, Any]], metric: str) -> go.Figure:
    cols = min(3, max(1, len(slices)))
    rows = math.ceil(len(slices) / cols)
    titles = [f"{s['name']} (axis: 1 - {s['name']})" if s.get("beta") else s["name"] for s in slices]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.07, vertical_spacing=0.18 if rows > 1 else 0.1)
    for i, s in enumerate(slices):
        r, c = i // cols + 1, i % cols + 1
        kinds = [slice_kind(s, j) for j in range(len(s["number"]))]
        for kind in ("complete", INFEASIBLE, "pruned"):
            idx = [j for j, k in enumerate(kinds) if k == kind]
            if not idx:
                continue
            xs = [1 - s["x"][j] if s.get("beta") else s["x"][j] for j in idx]  # Beta: decades of 1 - beta
            x = np.array([str(v) for v in xs], dtype=object) if s["categorical"] else _arr(xs)
            numbers = _arr([s["number"][j] for j in idx])
            marker: dict[str, Any] = {
                "pruned": {"size": 5, "symbol": "x", "color": "rgba(120,120,120,0.45)"},
                INFEASIBLE: {"size": 6, "color": INFEASIBLE_COLOR},
                "complete": {"size": 6, "color": numbers, "colorscale": TRIAL_SCALE, "cmin": 0,
                             "cmax": max(s["number"], default=1)}}[kind]
            note = {"pruned": " (pruned)", INFEASIBLE: " (infeasible)"}.get(kind, "")
            fig.add_trace(go.Scatter(x=x, y=_arr([s["value"][j] for j in idx]), mode="markers", marker=marker,
                                     name=kind if kind == INFEASIBLE else None,
                                     customdata=numbers, cliponaxis=False, showlegend=False,
                                     hovertemplate=f"trial %{{customdata}}{note}"
                                                   f"<br>%{{x}}: %{{y:.4g}}<extra></extra>"), row=r, col=c)
        if s["log"]:
            fig.update_xaxes(type="log", row=r, col=c)
        if s.get("beta"):  # beta near 1 to the right, evenly by decades of 1 - beta
            fig.update_xaxes(type="log", autorange="reversed", row=r, col=c)
        if s["categorical"]:
            fig.update_xaxes(type="category", categoryorder="array", categoryarray=s["categories"], row=r, col=c)
        if c == 1:
            fig.update_yaxes(title_text=metric, row=r, col=c)
    return _fig(fig, 320 * rows)


def slice_kind(s: Mapping[str, Any], j: int) -> str:
    """How a slice's ``j``-th point is drawn: ``pruned``, ``complete``, or, for a complete
    trial that broke the study's constraints, apart in Optuna's grey (:data:`INFEASIBLE`)."""
    if s["pruned"][j]:
        return "pruned"
    feasible = s.get("feasible")  # slices built before constraints were drawn have none
    return INFEASIBLE if feasible is not None and not feasible[j] else "complete"


def importance_figure(imp: Mapping[str, Any]) -> go.Figure:
    names = list(imp["importance"])[::-1]
    shares = [imp["importance"][n] for n in names]
    fig = go.Figure(go.Bar(x=shares, y=names, orientation="h", text=[f"{v:.0%}" for v in shares],
                           textposition="outside", error_x={"type": "data", "array": [imp["std"][n] for n in names]},
                           marker={"color": "#1f77b4"}))
    fig.update_yaxes(ticksuffix="  ")
    return _fig(fig, 120 + 36 * len(names), xaxis_title="Hyperparameter Importance", yaxis_title="Hyperparameter",
                xaxis_range=[0, 1.15],
                margin={"l": 140, "r": 20, "t": 20, "b": 50})


def confusion_figure(matrix: Sequence[Sequence[int]], classes: Sequence[str] | None = None) -> go.Figure:
    """Rows true, columns predicted, labelled by class name when the look stored them (a
    look recorded without names, or with a different count, keeps the class numbers)."""
    names = [str(c) for c in classes or []]
    labels = names if len(names) == len(matrix) and len(set(names)) == len(names) else [str(i) for i in range(len(matrix))]
    fig = go.Figure(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues", text=matrix,
                               texttemplate="%{text}", hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text="true class", type="category")
    fig.update_xaxes(title_text="predicted class", type="category")
    return _fig(fig, 460, width=520)


def residuals_figure(res: Mapping[str, Sequence[float]]) -> go.Figure:
    resid = [a - p for p, a in zip(res["predicted"], res["actual"])]
    fig = go.Figure(go.Scatter(x=res["predicted"], y=resid, mode="markers", marker={"size": 5, "opacity": 0.6},
                               name="test samples"))
    fig.add_hline(y=0, line={"color": "#d62728", "dash": "dash"})
    return _fig(fig, 400, xaxis_title="predicted", yaxis_title="actual - predicted")


def edf_figure(curves: Sequence[Mapping[str, Any]], metric: str) -> go.Figure:
    """The empirical distribution of the complete trials' values, a line per study (``name``)."""
    fig = go.Figure([go.Scatter(x=_arr(d["value"]), y=_arr(d["share"]), mode="lines", name=d["name"],
                                line={"shape": "hv", "color": PALETTE[i % len(PALETTE)]})
                     for i, d in enumerate(curves)])
    return _fig(fig, 380, xaxis_title=metric, yaxis_title="Cumulative Probability",
                yaxis_range=[0, 1.02], showlegend=True)


TIMELINE_COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "failed": "#d62728", "diverged": "#9467bd",
                   "running": "#2ca02c", "waiting": "#7f7f7f"}
TIMELINE_INFEASIBLE = "infeasible"


# A complete trial that broke the study's constraints is its own kind of bar, before the
# complete ones, as Optuna's timeline draws it.
TIMELINE_KINDS = {TIMELINE_INFEASIBLE: INFEASIBLE_COLOR, **TIMELINE_COLORS}


def timeline_kind(row: Mapping[str, Any]) -> str:
    """A :func:`timeline_data` row's bar: its state, or :data:`TIMELINE_INFEASIBLE` for a
    complete trial that broke the study's constraints (a pruned or failed one keeps its state)."""
    return TIMELINE_INFEASIBLE if row["state"] == "complete" and row.get("feasible") is False else row["state"]


def timeline_name(kind: str) -> str:
    """A :func:`timeline_kind`'s legend entry, as Optuna's: COMPLETE, FAIL, ..., INFEASIBLE."""
    return "INFEASIBLE" if kind == TIMELINE_INFEASIBLE else TrialState(kind).name


def timeline_figure(data: Mapping[str, Any]) -> go.Figure:
    """One bar per trial from its start to its end, coloured by how it ended, a trace per
    state named as Optuna's legend names it (COMPLETE, FAIL, ..., and INFEASIBLE in grey for
    a complete trial that broke the study's constraints)."""
    fig = go.Figure()
    for kind, color in TIMELINE_KINDS.items():
        rows = [r for r in data["rows"] if timeline_kind(r) == kind]
        if not rows:
            continue
        start = np.array([r["start"] for r in rows], dtype="datetime64[us]")
        end = np.array([r["end"] or r["start"] for r in rows], dtype="datetime64[us]")
        width_ms = ((end - start) / np.timedelta64(1, "ms")).astype(float)
        fig.add_trace(go.Bar(base=[str(s) for s in start], x=width_ms, y=[r["number"] for r in rows],
                             orientation="h", name=timeline_name(kind), marker={"color": color}))
    return _fig(fig, 420, xaxis_type="date", xaxis_title="Datetime", yaxis_title=TRIAL, barmode="overlay")


def pareto_kind(data: Mapping[str, Any], i: int) -> str:
    """Which trace the ``i``-th point of :func:`pareto_data` belongs to: ``infeasible`` (it broke
    the constraints, so it is neither on the front nor dominated), ``front`` or ``dominated``."""
    if not data.get("feasible", [True] * len(data["values"]))[i]:
        return "infeasible"
    return "front" if data["pareto"][i] else "dominated"


def pareto_label(kind: str, any_infeasible: bool) -> str:
    """Optuna's name for a part of the Pareto plot (a :func:`pareto_kind`): the front "Best
    Trial", the rest "Trial", or "Feasible Trial" beside infeasible ones."""
    return {"front": "Best Trial", "infeasible": INFEASIBLE}.get(kind, "Feasible Trial" if any_infeasible else TRIAL)


def pareto_figure(data: Mapping[str, Any]) -> go.Figure:
    """Trials' values on two (or three) objectives, the Pareto front highlighted and the trials
    that broke the study's constraints (``feasible`` False) apart in light grey, each part
    named as Optuna's plot names it (:func:`pareto_label`)."""
    names, values = data["names"], data["values"]
    kinds = [pareto_kind(data, i) for i in range(len(values))]
    fig = go.Figure()
    for kind, color in (("infeasible", "#cccccc"), ("dominated", "rgba(120,120,120,0.5)"), ("front", "#d62728")):
        idx = [i for i, drawn in enumerate(kinds) if drawn == kind]
        if not idx:
            continue
        label = pareto_label(kind, "infeasible" in kinds)
        cols = [[values[i][k] for i in idx] for k in range(len(names))]
        text = [f"trial {data['number'][i]}" for i in idx]
        if len(names) >= 3:
            fig.add_trace(go.Scatter3d(x=cols[0], y=cols[1], z=cols[2], mode="markers", name=label, text=text,
                                       marker={"size": 4, "color": color}))
        else:
            fig.add_trace(go.Scatter(x=cols[0], y=cols[1], mode="markers", name=label, text=text,
                                     marker={"size": 7, "color": color}))
    layout: dict[str, Any] = {"xaxis_title": names[0], "yaxis_title": names[1] if len(names) > 1 else None}
    if len(names) >= 3:  # a 3D scene's axes are its own
        layout["scene"] = {f"{axis}axis_title": name for axis, name in zip("xyz", names)}
    return _fig(fig, 460, **layout)


def hypervolume_figure(numbers: Sequence[int], volumes: Sequence[float]) -> go.Figure:
    """The hypervolume the complete trials so far dominate, trial by trial."""
    fig = go.Figure(go.Scatter(x=list(numbers), y=list(volumes), mode="lines+markers", name="hypervolume",
                               line={"shape": "hv", "color": "#1f77b4"},
                               hovertemplate="after trial %{x}<br>hypervolume %{y:.4g}<extra></extra>"))
    return _fig(fig, 360, xaxis_title=TRIAL, yaxis_title="Hypervolume")



def terminator_figure(data: Mapping[str, Any], min_n_trials: int) -> go.Figure:
    """The room left for improvement after each trial (lighter before ``min_n_trials``,
    where the terminator does not decide yet) and, when given, the noise it is compared
    with: the search stops where the first falls below the second."""
    numbers, gains = list(data["number"]), list(data["improvement"])
    fig = go.Figure()
    for part, shade, legend in ((slice(0, min_n_trials + 1), "rgba(31, 119, 180, 0.3)", len(numbers) <= min_n_trials),
                                (slice(min_n_trials, None), "#1f77b4", True)):
        if numbers[part]:
            fig.add_trace(go.Scatter(x=numbers[part], y=gains[part], mode="lines+markers", name="Terminator Improvement",
                                     line={"color": shade}, legendgroup="improvement", showlegend=legend,
                                     hovertemplate="after trial %{x}<br>improvement %{y:.4g}<extra></extra>"))
    if data.get("error") is not None:
        fig.add_trace(go.Scatter(x=numbers, y=list(data["error"]), mode="lines+markers", name="Error",
                                 line={"color": "#d62728"},
                                 hovertemplate="after trial %{x}<br>error %{y:.4g}<extra></extra>"))
    shown = gains[min_n_trials:] or gains
    values = shown + list(data.get("error") or [])
    layout: dict[str, Any] = {}
    if values:
        pad = 0.05 * ((max(values) - min(values)) or 1.0)
        layout["yaxis_range"] = [min(values + gains) - pad, max(values) + pad]
    return _fig(fig, 360, title="Terminator Improvement Plot", xaxis_title="Trial", yaxis_title="Terminator Improvement",
                **layout)
