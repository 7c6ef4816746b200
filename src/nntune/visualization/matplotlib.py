"""Optuna's matplotlib plots by Optuna's names (``nntune.visualization.matplotlib.plot_slice(study)``),
each drawn on ``matplotlib.pyplot.subplots()`` (``plt.show()``/``plt.savefig()`` as usual) from
the same data as the plotly plots of ``nntune.visualization``, with the same rules and errors.

Each returns a ``matplotlib.axes.Axes``, or a numpy array of them where the figure has
several panels: ``plot_slice`` of more than one parameter (one row), ``plot_contour`` and
``plot_rank`` of more than two (a matrix).
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from nntune.trial import FrozenTrial
from nntune.visualization import _data
from nntune.visualization import _mpl_figures as draw
from nntune.visualization._data import Target
from nntune.visualization._objectives import RANK_NAME, hypervolumes, parallel_view, terminator_view


def _or_empty(drawn: Callable[[], Any]) -> Any:
    """``drawn()``, or empty axes titled with the reason when there is nothing to draw."""
    try:
        return drawn()
    except _data.NothingToPlot as why:
        import matplotlib.pyplot as plt

        warnings.warn(str(why), UserWarning, stacklevel=3)
        _, ax = plt.subplots()
        ax.set_title(str(why))
        return ax


def plot_optimization_history(study: Any, *, target: Target | None = None, target_name: str = "Objective Value",
                              error_bar: bool = False) -> Axes:
    """Each complete trial's value, pruned trials' last values, and the best so far among the
    trials that meet the constraints (none for a ``target``). ``study`` may be a sequence of
    studies (runs of one search): a colour each, or with ``error_bar`` their mean and
    standard deviation per trial number."""
    kind, data = _data.history_view(study, target, error_bar)
    drawers = {"band": draw.history_band_axes, "one": draw.history_axes, "many": draw.histories_axes}
    return drawers[kind](data, target_name)


def plot_intermediate_values(study: Any) -> Axes:
    """Every trial's reported curve (pruned ones apart), with the 10-90% band per step."""
    return _or_empty(lambda: draw.intermediate_axes(_data.intermediate(study)))


def plot_parallel_coordinate(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                             target_name: str = "Objective Value") -> Axes:
    """A line per complete trial through its parameters and its value, coloured by the value;
    for a study of several objectives without ``target``, through each objective and its
    parameters, coloured by its Pareto rank, as Optuna draws it."""
    def lines() -> Axes:
        data, by_rank = parallel_view(study, params, target)
        if by_rank:
            return draw.parallel_axes(data, RANK_NAME, "minimize", value_axis=False)
        return draw.parallel_axes(data, target_name, _data.direction_of(study, target))
    return _or_empty(lines)


def plot_slice(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
               target_name: str = "Objective Value") -> Axes | np.ndarray:
    """A panel per parameter: its values against the value, complete and pruned trials apart."""
    return _or_empty(lambda: draw.slice_axes(_data.slices(study, params, target), target_name))


def plot_contour(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                 target_name: str = "Objective Value") -> Axes | np.ndarray:
    """The value over two parameters (a choice's axis: its labels, the surface over their
    places), the best value the darkest; with more, every pair as a matrix of panels."""
    def contours() -> Axes | np.ndarray:
        data = _data.contours(study, params, target)
        return draw.contour_axes(data["params"], data["cells"], target_name, _data.direction_of(study, target))
    return _or_empty(contours)


def plot_edf(study: Any, *, target: Target | None = None, target_name: str = "Objective Value") -> Axes:
    """The share of complete trials at or below each value: a line per study (a study, or a
    sequence of them), labelled by the study's name."""
    return draw.edf_axes(_data.edfs(study, target), target_name)


def plot_timeline(study: Any, n_recent_trials: int | None = None) -> Axes:
    """A bar per trial from start to end, coloured by its state (the last ``n_recent_trials`` only, if given)."""
    return draw.timeline_axes(_data.timeline(study, n_recent_trials))


def plot_param_importances(study: Any, evaluator: Any = None, params: Sequence[str] | None = None, *,
                           target: Target | None = None, target_name: str = "Objective Value") -> Axes:
    """Each parameter's share of the value's variation (``get_param_importances``), largest on
    top; a study of several objectives without ``target``: a bar per objective."""
    return _or_empty(lambda: draw.importance_axes(_data.importance_groups(study, evaluator, params, target,
                                                                          target_name)))


def plot_pareto_front(study: Any, *, target_names: Sequence[str] | None = None, include_dominated_trials: bool = True,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      targets: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Axes:
    """The complete trials on two (or three) objectives, or on ``targets(trial)``, the
    Pareto-optimal feasible ones highlighted and the infeasible ones apart ("Infeasible Trial",
    drawn even with ``include_dominated_trials=False``, as Optuna draws them)."""
    return draw.pareto_axes(_data.pareto(study, target_names, include_dominated_trials, targets, constraints_func))


def plot_rank(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
              target_name: str = "Objective Value") -> Axes | np.ndarray:
    """Parameters against each other, each complete trial coloured by its value's rank;
    with more than two, every pair as a matrix of panels."""
    return _or_empty(lambda: draw.rank_axes(_data.ranks(study, params, target), target_name))


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]) -> Axes:
    """The hypervolume of the complete feasible trials' values after each trial (a study of
    several objectives), bounded by ``reference_point``."""
    data = hypervolumes(study, reference_point)
    return draw.hypervolume_axes(data["number"], data["volume"])


def plot_terminator_improvement(study: Any, plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = 20) -> Axes:
    """The terminator's room left for improvement after each trial and, with
    ``plot_error``, the noise it is compared with; lighter before ``min_n_trials``."""
    view = terminator_view(study, plot_error, improvement_evaluator, error_evaluator, min_n_trials)
    return draw.terminator_axes(*view)


def is_available() -> bool:
    """Whether matplotlib can be imported (a dependency of nntune, so normally always)."""
    return importlib.util.find_spec("matplotlib") is not None


__all__ = ["is_available", "plot_contour", "plot_edf", "plot_hypervolume_history", "plot_intermediate_values",
           "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_pareto_front",
           "plot_rank", "plot_slice", "plot_terminator_improvement", "plot_timeline"]
