"""Optuna's plots by Optuna's names (``nntune.visualization.plot_optimization_history(study)``),
each a plotly figure drawn by the report's own code (``report/figures.py``) from the same
plain data (``report/data.py``, ``report/study_data.py``), chosen by ``_data``.
``nntune.visualization.matplotlib`` draws the same data with matplotlib.

``target`` (a function of a trial) plots another number than the value; a study of several
objectives needs it, except for ``plot_pareto_front``, ``plot_param_importances`` (a bar
per objective without it) and ``plot_parallel_coordinate`` (an axis per objective), as Optuna's.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nntune.report import figures
from nntune.trial import FrozenTrial
from nntune.visualization import _data
from nntune.visualization._data import Target
from nntune.visualization._objectives import RANK_NAME, hypervolumes, parallel_view, terminator_view

if TYPE_CHECKING:
    from nntune.visualization import matplotlib  # noqa: F401  (loaded on first use, below)


def plot_optimization_history(study: Any, *, target: Target | None = None,
                              target_name: str = "Objective Value", error_bar: bool = False) -> Any:
    """Each trial's value and the best so far among the trials that meet the constraints
    (none for a ``target``, as in Optuna: which way it improves is unknown). ``study`` may be
    a sequence of studies (runs of one search, e.g. over seeds): a colour each, or with
    ``error_bar`` their mean and standard deviation per trial number."""
    kind, data = _data.history_view(study, target, error_bar)
    draw = {"band": figures.history_band_figure, "one": figures.history_figure, "many": figures.histories_figure}
    fig = draw[kind](data, target_name)
    # The axis is the number plotted, named as given (the report's figure says "validation"),
    # and a line without points (no best so far for a target) is no legend entry.
    fig.data = [tr for tr in fig.data if _has_points(tr.y)]
    return _titled(fig, "Optimization History Plot", xaxis_title="Trial", yaxis_title=target_name)


def _titled(fig: Any, title: str, **layout: Any) -> Any:
    """``fig`` titled as Optuna titles the plot, its axes named as given (``xaxis_title=...``)."""
    return fig.update_layout(title={"text": title}, margin={"t": 60}, **layout)


def _has_points(ys: Any) -> bool:
    """Whether a trace's ``y`` holds a number to draw (not only None or NaN)."""
    return ys is not None and any(y is not None and y == y for y in ys)


def plot_intermediate_values(study: Any) -> Any:
    """Every trial's reported curve, with the 10/50/90% band per step."""
    return _or_empty(lambda: _titled(figures.intermediate_figure(_data.intermediate(study), "Objective Value"),
                                     "Intermediate Values Plot", xaxis_title="Step", yaxis_title="Intermediate Value"))


def plot_parallel_coordinate(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                             target_name: str = "Objective Value") -> Any:
    """A line per complete trial through its parameters and its value; for a study of several
    objectives without ``target``, through each objective and its parameters, coloured by
    its Pareto rank, as Optuna draws it."""
    def draw() -> Any:
        data, by_rank = parallel_view(study, params, target)
        if not by_rank:
            return _titled(figures.parallel_figure(data, target_name, _data.direction_of(study, target)),
                           "Parallel Coordinate Plot")
        fig = figures.parallel_figure(data, RANK_NAME, "minimize")  # the lowest rank the brightest
        fig.data[0].dimensions = fig.data[0].dimensions[:-1]  # the rank is a colour, not an axis
        return _titled(fig, "Parallel Coordinate Plot")
    return _or_empty(draw)


def _or_empty(draw: Callable[[], Any]) -> Any:
    """``draw()``, or an empty figure titled with the reason when there is nothing to draw."""
    try:
        return draw()
    except _data.NothingToPlot as why:
        import plotly.graph_objects as go

        warnings.warn(str(why), UserWarning, stacklevel=3)
        return go.Figure(layout={"title": {"text": str(why)}})


def plot_slice(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
               target_name: str = "Objective Value") -> Any:
    """Each parameter's values against the value, complete and pruned trials apart."""
    return _or_empty(lambda: _titled(figures.slices_figure(_data.slices(study, params, target), target_name),
                                     "Slice Plot"))


def plot_contour(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                 target_name: str = "Objective Value") -> Any:
    """The value over a pair of parameters (a choice's axis: its labels, the surface over
    their places, as Optuna draws it), the best value the darkest; with more than two, every
    pair as a matrix."""
    def draw() -> Any:
        data = _data.contours(study, params, target)
        names, direction = data["params"], _data.direction_of(study, target)  # a target is minimized
        if len(names) == 2:
            fig = figures.contour_figure(next(iter(data["cells"].values())), target_name, direction)
            fig = _reverse_beta_axes(fig, data["cells"], {(names[0], names[1]): (None, None)})
        else:
            fig = figures.contour_matrix_figure(names, data["cells"], target_name, direction)
            fig = _reverse_beta_axes(fig, data["cells"], {(x, y): (names.index(y) + 1, names.index(x) + 1)
                                                          for x, y in data["cells"]})
        return _titled(fig, "Contour Plot")
    return _or_empty(draw)


def _reverse_beta_axes(fig: Any, cells: Any, places: dict[tuple[str, str], tuple[int | None, int | None]]) -> Any:
    """A Beta's ``1 - b`` axes reversed (beta grows to the right and up, as the slice draws
    it); ``places`` gives each cell's (row, col) in the figure, (None, None) for one panel."""
    for key, (row, col) in places.items():
        for axis, update in (("x", fig.update_xaxes), ("y", fig.update_yaxes)):
            if cells[key][axis].get("reversed"):
                update(autorange="reversed", row=row, col=col)
    return fig


def plot_edf(study: Any, *, target: Target | None = None, target_name: str = "Objective Value") -> Any:
    """The share of complete trials at or below each value: a line per study (a study, or
    a sequence of them)."""
    return _titled(figures.edf_figure(_data.edfs(study, target), target_name), "Empirical Distribution Function Plot",
                   xaxis_title=target_name, yaxis_title="Cumulative Probability")


def plot_timeline(study: Any, n_recent_trials: int | None = None) -> Any:
    """Each trial's run from start to end (the last ``n_recent_trials`` only, if given)."""
    fig = figures.timeline_figure(_data.timeline(study, n_recent_trials))  # a bar per state: COMPLETE, FAIL, ...
    return _titled(fig, "Timeline Plot", xaxis_title="Datetime", yaxis_title="Trial", showlegend=True)  # one state too


def plot_param_importances(study: Any, evaluator: Any = None, params: Sequence[str] | None = None, *,
                           target: Target | None = None, target_name: str = "Objective Value") -> Any:
    """Each parameter's share of the value's variation: random forest + permutation (with
    its spread over the repeats, as the report draws it), or ``evaluator``'s shares. A study
    of several objectives without ``target``: a bar per objective, as Optuna draws it."""
    def draw() -> Any:
        groups = _data.importance_groups(study, evaluator, params, target, target_name)
        # Bars of the importance for each objective, as Optuna's hover names them.
        bars = [figures.importance_figure(data).update_traces(
            name=name, marker_color=figures.PALETTE[k % len(figures.PALETTE)],
            hovertemplate=f"%{{y}}: %{{x:.3f}} of {name}<extra></extra>") for k, (name, data) in enumerate(groups)]
        fig = bars[0]
        if len(bars) > 1:
            fig.add_traces([b.data[0] for b in bars[1:]])
            fig.update_layout(barmode="group", showlegend=True, height=fig.layout.height + 16 * len(
                groups[0][1]["importance"]) * (len(bars) - 1))
        return _titled(fig, "Hyperparameter Importances", xaxis_title="Hyperparameter Importance",
                       yaxis_title="Hyperparameter")
    return _or_empty(draw)


def plot_pareto_front(study: Any, *, target_names: Sequence[str] | None = None,
                      include_dominated_trials: bool = True, targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Any:
    """The complete trials on the study's objectives (or on ``targets(trial)``), the
    Pareto-optimal ones highlighted; infeasible trials (stored constraint values, or
    ``constraints_func``) are never on the front: they are drawn apart ("Infeasible Trial"),
    even with ``include_dominated_trials=False``, as Optuna draws them."""
    data = _data.pareto(study, target_names, include_dominated_trials, targets, constraints_func)
    return _titled(figures.pareto_figure(data), "Pareto-front Plot")  # its parts named as Optuna's


def plot_rank(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
              target_name: str = "Objective Value") -> Any:
    """Every pair of parameters, each complete trial colored by the rank of its value."""
    def draw() -> Any:
        data = _data.ranks(study, params, target)
        if len(data["dimensions"]) == 1:  # one parameter: against the value, as Optuna draws it
            value = {"name": target_name, "values": data["value"], "scale": "linear"}
            data = {**data, "dimensions": [*data["dimensions"], value]}
        fig = figures.rank_figure(data, target_name)
        for i, dim in enumerate(data["dimensions"], start=1):  # a Beta's axes: beta grows to the right and up
            if dim.get("reversed"):
                fig.update_layout({f"xaxis{i if i > 1 else ''}": {"autorange": "reversed"},
                                   f"yaxis{i if i > 1 else ''}": {"autorange": "reversed"}})
        return _titled(fig, f"Rank ({target_name})")
    return _or_empty(draw)


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]) -> Any:
    """The hypervolume of the complete feasible trials' values (a study of several
    objectives), bounded by ``reference_point`` in the objectives' own units, after each
    trial."""
    data = hypervolumes(study, reference_point)
    return _titled(figures.hypervolume_figure(data["number"], data["volume"]), "Hypervolume History Plot",
                   xaxis_title="Trial", yaxis_title="Hypervolume")


def plot_terminator_improvement(study: Any, plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = 20) -> Any:
    """The terminator's room left for improvement after each trial (default: the regret
    bound) and, with ``plot_error``, the noise it is compared with (default: as
    ``Terminator`` picks it); the points before ``min_n_trials`` complete trials are
    lighter. Each complete trial refits the evaluator's model, so a long study takes a while."""
    view = terminator_view(study, plot_error, improvement_evaluator, error_evaluator, min_n_trials)
    return _titled(figures.terminator_figure(*view), "Terminator Improvement Plot", xaxis_title="Trial",
                   yaxis_title="Terminator Improvement")


def is_available() -> bool:
    """Plotly is a dependency of nntune, so always."""
    return True


def __getattr__(name: str) -> Any:
    """``visualization.matplotlib`` loads on first use: plotting with plotly does not import matplotlib."""
    if name == "matplotlib":
        return importlib.import_module("nntune.visualization.matplotlib")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["is_available", "plot_contour", "plot_edf", "plot_hypervolume_history", "plot_intermediate_values",
           "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_pareto_front",
           "plot_rank", "plot_slice", "plot_terminator_improvement", "plot_timeline"]
