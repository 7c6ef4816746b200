"""Optuna's plots by Optuna's names (``nntune.visualization.plot_optimization_history(study)``),
each a plotly figure drawn by the report's own code (``report/figures.py``) from the same
plain data (``report/data.py``, ``report/study_data.py``).

``target`` (a function of a trial) plots another number than the value; a study of several
objectives needs it, except for ``plot_pareto_front``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from nntune.analysis import param_importance, study_space
from nntune.report import figures
from nntune.report.data import history_data, intermediate_data, parallel_data, rank, slices_data
from nntune.report.study_data import contour_data, edf_data, pareto_data, timeline_data
from nntune.space import Space
from nntune.trial import FrozenTrial, TrialState

Target = Callable[[FrozenTrial], float]


def _trials(study: Any, target: Target | None) -> list[FrozenTrial]:
    trials = study.get_trials(deepcopy=False)
    if target is None:
        if study.is_multi_objective:
            raise ValueError("a study of several objectives needs target= to say which number to plot")
        return list(trials)
    return [dataclasses.replace(t, value=float(target(t))) if t.state == TrialState.COMPLETE else t
            for t in trials]


def _space(study: Any, trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> Space:
    rec = study.storage.load_study(study.study_name)
    space = study_space(trials, rec.attrs if rec else None)
    if params is None:
        return space
    unknown = [p for p in params if p not in space.params]
    if unknown:
        raise ValueError(f"no parameter named {', '.join(map(repr, unknown))} in this study")
    return Space({p: space.params[p] for p in params})


def _direction(study: Any, target: Target | None) -> str:
    return "minimize" if target is not None else str(study.direction)


def plot_optimization_history(study: Any, *, target: Target | None = None,
                              target_name: str = "Objective Value", error_bar: bool = False) -> Any:
    """Each trial's value and the best so far."""
    trials = _trials(study, target)
    return figures.history_figure(history_data(trials, _direction(study, target)), target_name)


def plot_intermediate_values(study: Any) -> Any:
    """Every trial's reported curve, with the 10/50/90% band per step."""
    trials = _trials(study, None)
    return figures.intermediate_figure(intermediate_data(trials, rank(trials, str(study.direction))),
                                       "Objective Value")


def plot_parallel_coordinate(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                             target_name: str = "Objective Value") -> Any:
    trials = _trials(study, target)
    return figures.parallel_figure(parallel_data(trials, _space(study, trials, params)), target_name,
                                   _direction(study, target))


def plot_slice(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
               target_name: str = "Objective Value") -> Any:
    trials = _trials(study, target)
    return figures.slices_figure(slices_data(trials, _space(study, trials, params)), target_name)


def plot_contour(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                 target_name: str = "Objective Value") -> Any:
    """The value over a pair of parameters (the first pair of ``params``, or of the study's)."""
    trials = _trials(study, target)
    space = _space(study, trials, params)
    pairs = list(itertools.combinations(space.params, 2))
    if not pairs:
        raise ValueError("a contour needs two parameters")
    x, y = pairs[0]
    return figures.contour_figure(contour_data(trials, space, x, y), target_name)


def plot_edf(study: Any, *, target: Target | None = None, target_name: str = "Objective Value") -> Any:
    return figures.edf_figure(edf_data(_trials(study, target)), target_name)


def plot_timeline(study: Any, n_recent_trials: int | None = None) -> Any:
    """Each trial's run from start to end (the last ``n_recent_trials`` only, if given)."""
    trials = study.get_trials(deepcopy=False)
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:] if n_recent_trials > 0 else []
    return figures.timeline_figure(timeline_data(trials))


def plot_param_importances(study: Any, evaluator: Any = None, params: Sequence[str] | None = None, *,
                           target: Target | None = None, target_name: str = "Objective Value") -> Any:
    """Each parameter's share of the value's variation: random forest + permutation (with
    its spread over the repeats, as the report draws it), or ``evaluator``'s shares."""
    if evaluator is None:
        trials = _trials(study, target)
        return figures.importance_figure(param_importance(trials, _space(study, trials, params), seed=study.seed))
    from nntune.importance import get_param_importances

    shares = get_param_importances(study, evaluator=evaluator, params=params, target=target)
    return figures.importance_figure({"importance": shares, "std": {n: 0.0 for n in shares}})


def plot_pareto_front(study: Any, *, target_names: Sequence[str] | None = None,
                      include_dominated_trials: bool = True, targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Any:
    """The complete trials on the study's objectives (or on ``targets(trial)``), the
    Pareto-optimal ones highlighted; infeasible trials (stored constraint values, or
    ``constraints_func``) are never on the front."""
    if not study.is_multi_objective and targets is None:
        raise ValueError("a Pareto front needs a study of several objectives (create_study(directions=[...]))")
    trials = list(study.get_trials(deepcopy=False))
    if targets is not None:
        trials = [dataclasses.replace(t, system_attrs={**t.system_attrs, "values": list(targets(t))})
                  if t.state == TrialState.COMPLETE else t for t in trials]
    if constraints_func is not None:
        trials = [dataclasses.replace(t, system_attrs={**t.system_attrs, "constraints": list(constraints_func(t))})
                  if t.state == TrialState.COMPLETE else t for t in trials]
    n = len(study.directions) if targets is None else len(next((t.values for t in trials if t.values), [0, 0]))
    dirs = [str(d) for d in study.directions] if targets is None else ["minimize"] * n
    data = pareto_data(trials, dirs, target_names)
    if not include_dominated_trials:
        keep = [i for i, p in enumerate(data["pareto"]) if p]
        data = {**data, **{k: [data[k][i] for i in keep] for k in ("number", "values", "pareto", "params")}}
    return figures.pareto_figure(data)


def plot_rank(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
              target_name: str = "Objective Value") -> Any:
    """Every pair of parameters, each complete trial colored by the rank of its value."""
    trials = _trials(study, target)
    data = parallel_data(trials, _space(study, trials, params))
    if not data["value"]:
        raise ValueError("plot_rank needs complete trials")
    return figures.rank_figure(data, target_name, _direction(study, target))


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]) -> Any:
    """The hypervolume of the complete feasible trials' values (a study of several
    objectives), bounded by ``reference_point`` in the objectives' own units, after each
    trial."""
    import numpy as np

    from nntune._hypervolume import hypervolume_history
    from nntune.samplers import is_feasible

    if not study.is_multi_objective:
        raise ValueError("the hypervolume needs a study of several objectives (create_study(directions=[...]))")
    sign = np.array([-1.0 if str(d) == "maximize" else 1.0 for d in study.directions])
    reference = np.asarray(reference_point, dtype=float)
    if reference.shape != sign.shape or not np.all(np.isfinite(reference)):
        raise ValueError(f"reference_point needs {len(sign)} finite values, one per objective, got {reference_point!r}")
    done = [t for t in study.get_trials(deepcopy=False)
            if t.state == TrialState.COMPLETE and t.values is not None and is_feasible(t)]
    volumes = hypervolume_history([list(sign * np.asarray(t.values)) for t in done], sign * reference)
    return figures.hypervolume_figure([t.number for t in done], volumes)


def is_available() -> bool:
    """Plotly is a dependency of nntune, so always."""
    return True


__all__ = ["is_available", "plot_contour", "plot_edf", "plot_hypervolume_history", "plot_intermediate_values",
           "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_pareto_front",
           "plot_rank", "plot_slice", "plot_timeline"]
