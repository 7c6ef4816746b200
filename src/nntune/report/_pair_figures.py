"""The frame every report figure is drawn in (``LAYOUT``; ``_arr``, the float array plotly
validates at once; ``_fig``, which sizes and lays a figure out) and the plots over pairs of
parameters: the contour of the value over two of them, every pair as a matrix, and the rank
plot. Apart so figures.py stays readable; :mod:`nntune.report.figures` re-exports them all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


# The trials that broke the study's constraints, as Optuna's plots name and colour them.
INFEASIBLE, INFEASIBLE_COLOR = "Infeasible Trial", "#cccccc"
LAYOUT: dict[str, Any] = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
                          "legend": {"orientation": "h", "y": -0.2}, "font": {"size": 12}}


def _arr(values: Sequence[Any]) -> np.ndarray:
    """Numbers as a float array (None -> NaN): plotly validates arrays at once, lists item by item."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _fig(fig: go.Figure, height: int, **layout: Any) -> go.Figure:
    fig.update_layout(**{**LAYOUT, "height": height, **layout})
    return fig


def _best_darkest(direction: str) -> dict[str, Any]:
    """The surface's Blues (light to dark) turned round when minimizing, so that the best
    value is the darkest either way, as Optuna and its dashboard colour it."""
    return {"colorscale": "Blues", "reversescale": direction == "minimize"}


def _contour_traces(data: Mapping[str, Any], metric: str, direction: str, shared: bool = False,
                    showlegend: bool = True) -> list[Any]:
    """An interpolated surface (over a choice: at its labels' places) under the trials'
    points, the best value the darkest; ``shared``: the surface takes the figure's one
    colour axis."""
    traces: list[Any] = []
    if data["grid"] is not None:
        g = data["grid"]
        scale: dict[str, Any] = ({"coloraxis": "coloraxis"} if shared else
                                 {**_best_darkest(direction), "colorbar": {"title": metric}})
        traces.append(go.Contour(x=g["x"], y=g["y"], z=g["z"], name=metric, contours={"coloring": "heatmap"},
                                 **scale))
    feasible = data.get("feasible") or [True] * len(data["number"])
    for met, name, color in ((True, "trials", "#d62728"), (False, INFEASIBLE, INFEASIBLE_COLOR)):
        idx = [i for i, ok in enumerate(feasible) if ok == met]
        if not met and not idx:  # the feasible trace is drawn even empty, as before constraints were drawn
            continue
        traces.append(go.Scatter(x=[data["x"]["values"][i] for i in idx], y=[data["y"]["values"][i] for i in idx],
                                 mode="markers", name=name,
                                 marker={"size": 6, "color": color, "line": {"width": 1, "color": "white"}},
                                 text=[f"trial {data['number'][i]}: {data['value'][i]:.4g}" for i in idx],
                                 hovertemplate="%{text}<extra></extra>", legendgroup=name, showlegend=showlegend))
    return traces


def _axis_type(axis: Mapping[str, Any]) -> str | None:
    return "log" if axis["log"] else "category" if axis["categorical"] else None


def contour_figure(data: Mapping[str, Any], metric: str, direction: str) -> go.Figure:
    """The value over two parameters: an interpolated surface under the trials' points, the
    best value in ``direction`` the darkest."""
    fig = go.Figure(_contour_traces(data, metric, direction))
    return _fig(fig, 460, xaxis_title=data["x"]["name"], yaxis_title=data["y"]["name"],
                xaxis_type=_axis_type(data["x"]), yaxis_type=_axis_type(data["y"]))


def contour_matrix_figure(params: Sequence[str], cells: Mapping[tuple[str, str], Mapping[str, Any]],
                          metric: str, direction: str) -> go.Figure:
    """Every pair of parameters: in row ``y``, column ``x`` off the diagonal, the contour of
    ``cells[(x, y)]``, all on one colour scale (the best value in ``direction`` the darkest);
    names along the bottom and left edges."""
    n = len(params)
    fig = make_subplots(rows=n, cols=n, horizontal_spacing=0.3 / n, vertical_spacing=0.3 / n)
    for r, y in enumerate(params, start=1):
        for c, x in enumerate(params, start=1):
            fig.update_xaxes(title_text=x if r == n else None, row=r, col=c)
            fig.update_yaxes(title_text=y if c == 1 else None, row=r, col=c)
            if x == y:
                continue
            data = cells[(x, y)]
            for trace in _contour_traces(data, metric, direction, shared=True, showlegend=len(fig.data) == 0):
                fig.add_trace(trace, row=r, col=c)
            fig.update_xaxes(type=_axis_type(data["x"]), row=r, col=c)
            fig.update_yaxes(type=_axis_type(data["y"]), row=r, col=c)
    side = 120 + 220 * n
    return _fig(fig, min(side, 1400), width=min(side + 120, 1600),
                coloraxis={**_best_darkest(direction), "colorbar": {"title": {"text": metric}}})


def rank_figure(data: Mapping[str, Any], metric: str) -> go.Figure:
    """Every pair of parameters (``parallel_data``'s columns), each complete trial colored by
    its value's ``rank`` (0 the best): where the best trials lie, whatever the value's scale.
    A trial that broke the study's constraints (``feasible`` False) is grey, in a trace of its
    own on the same axes, as Optuna's rank plot colours it."""
    values, rank = _arr(data["value"]), _arr(data["rank"])
    feasible = np.array(data.get("feasible") or [True] * len(values), dtype=bool)
    text = np.array([f"trial {n}<br>{metric} {v:.4g}" for n, v in zip(data["number"], values)], dtype=object)

    def splom(idx: np.ndarray, marker: dict[str, Any], **named: Any) -> go.Splom:
        dims = [{"label": d["name"], "values": _arr(d["values"])[idx]} for d in data["dimensions"]]
        return go.Splom(dimensions=dims, text=text[idx], hovertemplate="%{text}<extra></extra>", showupperhalf=False,
                        diagonal={"visible": False}, marker=marker, **named)

    every = np.arange(len(values))
    scale: dict[str, Any] = {"size": 6, "color": rank[feasible], "colorscale": "RdYlBu", "showscale": True,
                             "colorbar": {"title": "rank (0 best)"}}
    if feasible.all():
        fig = go.Figure(splom(every, scale))
    else:  # the ranks of all, so the scale still runs from the best (0) to the worst (1) of them
        fig = go.Figure([splom(every[feasible], {**scale, "cmin": 0, "cmax": 1}),
                         splom(every[~feasible], {"size": 6, "color": INFEASIBLE_COLOR}, name=INFEASIBLE,
                               showlegend=False)])
    side = 140 + 160 * max(1, len(data["dimensions"]))
    return _fig(fig, min(side, 900), width=min(side + 80, 980))
