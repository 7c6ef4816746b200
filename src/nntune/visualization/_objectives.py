"""What the plots of a study of several objectives show. The parallel coordinates drawn
without ``target``, as Optuna's ``plot_parallel_coordinate`` draws them: an axis per
objective (named by ``set_metric_names``, else ``Objective i``) before the parameters, each
trial's line coloured by its Pareto rank (0: on the front; ranked without the constraints,
as Optuna's). The hypervolume after each trial (``plot_hypervolume_history``). And, for a
study of one objective, the terminator's reading after each trial
(``plot_terminator_improvement``)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nntune.report.data import parallel_data
from nntune.samplers import is_feasible
from nntune.samplers._nsga import minimized, nondominated_fronts
from nntune.trial import FrozenTrial, TrialState
from nntune.visualization._data import (NothingToPlot, Target, beta_as_decades, is_decades_of_beta, parallel,
                                        space_of)

RANK_NAME = "Pareto Rank"
NO_LINES = "a parallel coordinate plot needs complete trials; the study has none yet"


def parallel_view(study: Any, params: Sequence[str] | None, target: Target | None) -> tuple[dict[str, Any], bool]:
    """``(data, by_rank)``: ``_data.parallel``'s columns, or for a study of several objectives
    without ``target`` its objectives' columns then the parameters', with each trial's
    Pareto rank as the ``value`` that colours its line (``by_rank``: no axis of its own)."""
    if target is not None or not study.is_multi_objective:
        data = parallel(study, params, target)
        if not data["value"]:
            raise NothingToPlot(NO_LINES)
        return data, False
    if params is not None and not params:  # the objectives' axes alone
        raise NothingToPlot("no parameter to plot: params is empty")
    directions = [str(d) for d in study.directions]
    trials = [t for t in study.get_trials(deepcopy=False) if _scored(t, len(directions))]
    space_of(study, trials, params)  # an unknown name is an error first, as for one objective
    if not trials:
        raise NothingToPlot(NO_LINES)
    ranks = pareto_ranks(trials, directions)
    # parallel_data reads each trial's value: the rank, so that a thinned study keeps its own.
    ranked = [dataclasses.replace(t, value=float(r)) for t, r in zip(trials, ranks)]
    space = space_of(study, ranked, params)
    data = parallel_data(*beta_as_decades(ranked, space))
    for dim in data["dimensions"]:
        if dim["scale"] == "log" and is_decades_of_beta(dim["name"][len("log10 "):], space):
            dim.update(name=f"log10({dim['name'][len('log10 '):]})", reversed=True)
    by_number = {t.number: t.values for t in trials}
    names = list(getattr(study, "metric_names", None) or [f"Objective {i}" for i in range(len(directions))])
    objectives = [{"name": name, "scale": "linear", "values": [float(by_number[n][i]) for n in data["number"]]}
                  for i, name in enumerate(names)]
    # The worst ranks first: the front's lines are drawn last, on top, as Optuna draws them.
    order = sorted(range(len(data["value"])), key=lambda k: -data["value"][k])
    dims = [{**d, "values": [d["values"][k] for k in order]} for d in objectives + data["dimensions"]]
    feasible = None if data["feasible"] is None else [data["feasible"][k] for k in order]
    return {**data, "dimensions": dims, "value": [data["value"][k] for k in order],
            "number": [data["number"][k] for k in order], "feasible": feasible}, True


def _scored(t: FrozenTrial, n: int) -> bool:
    """A complete trial with a finite value for every objective (Optuna's lines)."""
    return (t.state == TrialState.COMPLETE and t.values is not None and len(t.values) == n
            and all(math.isfinite(v) for v in t.values))


def pareto_ranks(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[int]:
    """Each trial's non-domination rank: 0 on the Pareto front, 1 on the front of the rest..."""
    ranks = [0] * len(trials)
    if trials:
        for k, front in enumerate(nondominated_fronts(minimized(trials, directions))):
            for i in front:
                ranks[i] = k
    return ranks


def hypervolumes(study: Any, reference_point: Sequence[float]) -> dict[str, Any]:
    """``{"number", "volume"}``: the hypervolume of the complete feasible trials' values
    after each of them, bounded by ``reference_point`` in the objectives' own units."""
    from nntune._hypervolume import hypervolume_history

    if not study.is_multi_objective:
        raise ValueError("the hypervolume needs a study of several objectives (create_study(directions=[...]))")
    sign = np.array([-1.0 if str(d) == "maximize" else 1.0 for d in study.directions])
    reference = np.asarray(reference_point, dtype=float)
    if reference.shape != sign.shape or not np.all(np.isfinite(reference)):
        raise ValueError(f"reference_point needs {len(sign)} finite values, one per objective, got {reference_point!r}")
    done = [t for t in study.get_trials(deepcopy=False)
            if t.state == TrialState.COMPLETE and t.values is not None and is_feasible(t)]
    volumes = hypervolume_history([list(sign * np.asarray(t.values)) for t in done], sign * reference)
    return {"number": [t.number for t in done], "volume": [float(v) for v in volumes]}


def terminator_improvements(study: Any, plot_error: bool, improvement_evaluator: Any,
                            error_evaluator: Any) -> dict[str, Any]:
    """``{"number", "improvement", "error", "n_complete"}``: the terminator's improvement
    (and, with ``plot_error``, its error; else None) on the trials up to each trial, as
    ``Terminator`` would have read them then (all of them, whatever their state), from the
    first complete one with a finite value on, and how many such had completed. A trial that neither completed nor
    diverged leaves the reading as it was (no refit on the same trials); a diverged one
    moves it (stagnation counts it as a trial the best did not move in)."""
    from nntune import terminator as t
    from nntune.terminator._terminator import default_error_evaluator

    if study.is_multi_objective:
        raise ValueError("the terminator's improvement needs a study of one objective")
    improvement = improvement_evaluator or t.RegretBoundEvaluator()
    error = error_evaluator or default_error_evaluator(improvement, study)
    direction = study.directions[0]
    numbers: list[int] = []
    gains: list[float] = []
    errors: list[float] = []
    counts: list[int] = []
    trials = list(study.get_trials(deepcopy=False))
    n_complete = 0
    for i, trial in enumerate(trials):
        # Counted as Terminator counts them for min_n_trials: complete with a finite value.
        # A trial of inf is complete, as in Optuna, but no evaluator fits a model on it, so
        # a study that began with one has no reading until a finite value arrives.
        n_complete += trial.state == TrialState.COMPLETE and trial.value is not None and math.isfinite(trial.value)
        if not n_complete:
            continue
        fresh = not counts or trial.state in (TrialState.COMPLETE, TrialState.DIVERGED)
        seen = trials[:i + 1]
        numbers.append(trial.number)
        counts.append(n_complete)
        gains.append(float(improvement.evaluate(seen, direction)) if fresh else gains[-1])
        if plot_error:
            errors.append(float(error.evaluate(seen, direction)) if fresh else errors[-1])
    return {"number": numbers, "improvement": gains, "error": errors if plot_error else None, "n_complete": counts}


def terminator_view(study: Any, plot_error: bool, improvement_evaluator: Any, error_evaluator: Any,
                    min_n_trials: int) -> tuple[dict[str, Any], int]:
    """:func:`terminator_improvements` and :func:`deciding_from` for ``min_n_trials``, a
    positive integer as ``Terminator`` takes it (checked before the evaluators run)."""
    if isinstance(min_n_trials, bool) or not isinstance(min_n_trials, int) or min_n_trials <= 0:
        raise ValueError(f"min_n_trials: must be a positive integer, got {min_n_trials!r}")
    data = terminator_improvements(study, plot_error, improvement_evaluator, error_evaluator)
    return data, deciding_from(data, min_n_trials)


def deciding_from(data: dict[str, Any], min_n_trials: int) -> int:
    """The index of the first point drawn as decided: the one after ``min_n_trials``
    complete trials, as Optuna's plot (whose points are complete trials only) draws it;
    pruned or failed trials in between do not count. All points: none decided yet."""
    return next((i for i, n in enumerate(data["n_complete"]) if n > min_n_trials), len(data["n_complete"]))
