"""What each of Optuna's plots shows, read from a study as plain data: the rules both front
ends follow (plotly in ``visualization``, matplotlib in ``visualization.matplotlib``), and
the errors they raise on bad input. The data itself is built by ``report/data.py`` and
``report/study_data.py``; this module picks the trials, the space and the direction.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nntune.analysis import IMPORTANCE_FEWEST_TRIALS, chosen_space, complete_trials, param_importance, valued_trials
from nntune.report.data import history_data, intermediate_data, parallel_data, rank, slices_data
from nntune.report.study_data import (choice_grid, contour_data, edf_data,  # noqa: F401 (_data.choice_grid)
                                      pareto_data, timeline_data)
from nntune.samplers import is_feasible
from nntune.space import Beta, Float, Space
from nntune.trial import CONSTRAINTS_KEY, FrozenTrial, TrialState

Target = Callable[[FrozenTrial], float]
Targets = Callable[[FrozenTrial], Sequence[float]]



class NothingToPlot(ValueError):
    """The study holds nothing a plot draws (no complete trial, fewer parameters than it
    needs): the plot is an empty figure titled with the reason, with a warning, as Optuna's."""


def trials_of(study: Any, target: Target | None) -> list[FrozenTrial]:
    """The study's trials, complete ones valued by ``target`` when given; a study of several
    objectives needs it."""
    return valued_trials(study, target, "plot")


def space_of(study: Any, trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> Space:
    """The study's space, or its ``params`` in their given order (an unknown name is a ValueError)."""
    return chosen_space(study, trials, params)


def direction_of(study: Any, target: Target | None) -> str:
    """The direction the plotted number improves in (a ``target`` is taken as minimized)."""
    return "minimize" if target is not None else str(study.directions[0])


def history(study: Any, target: Target | None) -> dict[str, Any]:
    """Complete and pruned trials' values (``report.data.history_data``) and the best so far
    among the trials that meet the study's constraints, as ``study.best_value`` counts it
    (:func:`best_steps`). A ``target`` has no best so far: which way it improves is unknown
    (Optuna draws none either)."""
    trials, direction = trials_of(study, target), direction_of(study, target)
    data = history_data(trials, direction)
    if target is not None:
        return {**data, "best_number": [], "best_value": []}
    steps = best_steps(trials, direction)
    return {**data, "best_number": [n for n, _ in steps], "best_value": [v for _, v in steps]}


def best_steps(trials: Sequence[FrozenTrial], direction: str) -> list[tuple[int, float]]:
    """The best value so far as a step line: ``(number, best)`` at the first complete trial
    that meets the constraints, at each that improves on it, and at the last complete trial.
    inf and -inf count, as ``study.best_value`` and Optuna's line count them: a minimized
    study's line drops to -inf at its trial valued -inf, not to the best finite value (the
    trial values drawn as dots stay finite: no axis places inf)."""
    done = sorted((t for t in trials if t.state == TrialState.COMPLETE and t.value is not None
                   and not math.isnan(t.value)), key=lambda t: t.number)
    steps: list[tuple[int, float]] = []
    best: float | None = None
    for t in done:
        v = float(t.value)  # type: ignore[arg-type]
        if is_feasible(t) and (best is None or (v > best if direction == "maximize" else v < best)):
            best = v
            steps.append((t.number, v))
    # Before the first feasible trial there is no best yet: the line starts there, and runs on
    # to the last complete trial.
    return steps + [(done[-1].number, best)] if best is not None else steps


def studies_of(studies: Any) -> list[Any]:
    """A study, or a sequence of them, as a list (at least one)."""
    group = [studies] if hasattr(studies, "get_trials") else list(studies)
    if not group:
        raise ValueError("give a study or a sequence of studies, not an empty sequence")
    return group


def histories(studies: Any, target: Target | None) -> list[dict[str, Any]]:
    """:func:`history` of each study (a sequence of them), named by the study; they must
    improve in one direction to share an axis."""
    group = studies_of(studies)
    directions = {direction_of(s, target) for s in group}
    if len(directions) > 1:
        raise ValueError("the studies improve in different directions; plot them one at a time")
    return [{"name": str(s.study_name), **history(s, target)} for s in group]


def history_band(runs: Sequence[Sequence[FrozenTrial]], direction: str | None) -> dict[str, Any]:
    """Several runs of one search (a study each) as a mean and standard deviation per trial
    number, both over the complete trials that meet the constraints, as Optuna's error bars
    are: of their values, and of the best value so far among them (a run counts from its
    first such trial; no ``direction``, as for a ``target``: None throughout). ``{"number",
    "value_mean", "value_std", "best_mean", "best_std", "n_runs"}``; a trial number no run
    completed feasibly has None."""
    length = max((t.number + 1 for run in runs for t in run), default=0)
    values = np.full((len(runs), length), np.nan)
    for i, run in enumerate(runs):
        for t in run:
            if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value) and is_feasible(t):
                values[i, t.number] = float(t.value)
    # fmax/fmin skip NaN: a run's best so far is NaN only before its first feasible complete trial.
    bests = (np.full_like(values, np.nan) if direction is None else
             (np.fmax if direction == "maximize" else np.fmin).accumulate(values, axis=1))

    def stats(a: np.ndarray) -> tuple[list[float | None], list[float | None]]:
        with warnings.catch_warnings():  # a trial number no run completed: NaN, said as None
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, spread = np.nanmean(a, axis=0), np.nanstd(a, axis=0)
        plain = (lambda xs: [None if math.isnan(x) else float(x) for x in xs])
        return plain(mean), plain(spread)

    value_mean, value_std = stats(values)
    best_mean, best_std = stats(bests)
    return {"number": list(range(length)), "value_mean": value_mean, "value_std": value_std,
            "best_mean": best_mean, "best_std": best_std, "n_runs": len(runs)}


def history_view(studies: Any, target: Target | None, error_bar: bool) -> tuple[str, Any]:
    """What ``plot_optimization_history`` draws: ``("band", history_bands)`` with
    ``error_bar``, ``("one", history)`` for a study, ``("many", histories)`` for several."""
    if error_bar:
        return "band", history_bands(studies, target)
    if hasattr(studies, "get_trials"):
        return "one", history(studies, target)
    return "many", histories(studies, target)


def history_bands(studies: Any, target: Target | None) -> dict[str, Any]:
    """:func:`history_band` over a study, or a sequence of studies of one direction."""
    group = studies_of(studies)
    histories(group, target)  # the same direction check
    return history_band([trials_of(s, target) for s in group], None if target is not None else
                        direction_of(group[0], target))


def intermediate(study: Any) -> dict[str, Any]:
    """Every trial's reported curve and the quantile band per step. Curves are reported
    values, not objectives, so a study of several objectives draws them too; it has no one
    ranking to favour its best curves by, so they are taken evenly by number."""
    trials = list(study.get_trials(deepcopy=False))
    if not any(t.intermediate_values for t in trials):  # Optuna warns of this too
        raise NothingToPlot("no intermediate values to plot: report them in the objective with "
                            "trial.report(value, step)")
    best = [] if study.is_multi_objective else rank(trials, str(study.directions[0]))
    return intermediate_data(trials, best)


def beta_as_decades(trials: Sequence[FrozenTrial], space: Space) -> tuple[list[FrozenTrial], Space]:
    """``trials`` and ``space`` with each Beta parameter ``b`` as the ``1 - b`` it is searched
    by, a log-scaled range named ``1 - b``: a plot then spreads 0.9, 0.99 and 0.999 evenly by
    decades, as the sampler does (a linear axis crams all but the first into one edge)."""
    betas = {n: f"1 - {n}" for n, d in space.params.items() if isinstance(d, Beta)}
    if not betas:
        return list(trials), space
    params = {betas.get(n, n): Float(1 - d.high, 1 - d.low, log=True) if n in betas else d
              for n, d in space.params.items()}

    def flipped(t: FrozenTrial) -> FrozenTrial:
        return dataclasses.replace(t, params={betas.get(k, k): _one_minus(v) if k in betas else v
                                              for k, v in t.params.items()})
    return [flipped(t) for t in trials], Space(params)


def _one_minus(v: Any) -> Any:
    """``1 - v`` for a number (a stored beta), else ``v`` as it is (off the range: left out)."""
    return 1 - float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def is_decades_of_beta(name: str, space: Space) -> bool:
    """Whether ``name`` is a Beta parameter's ``1 - b`` axis (:func:`beta_as_decades`), drawn
    reversed so that beta grows to the right, as the slice plot draws it."""
    return name.startswith("1 - ") and isinstance(space.params.get(name[len("1 - "):]), Beta)


def parallel(study: Any, params: Sequence[str] | None, target: Target | None) -> dict[str, Any]:
    """The columns of the complete trials: parameters (a Beta as log10 of ``1 - b``, its
    ``reversed`` flag set), then the value. An empty ``params``: nothing to plot."""
    if params is not None and not params:  # the value's axis alone, or a rank of nothing
        raise NothingToPlot(_no_parameter([], params))
    trials = trials_of(study, target)
    space = space_of(study, trials, params)
    data = parallel_data(*beta_as_decades(trials, space))
    for dim in data["dimensions"]:
        if dim["scale"] == "log" and is_decades_of_beta(dim["name"][len("log10 "):], space):
            dim.update(name=f"log10({dim['name'][len('log10 '):]})", reversed=True)
    return data


def slices(study: Any, params: Sequence[str] | None, target: Target | None) -> list[dict[str, Any]]:
    """One slice per parameter: its values against the value, complete and pruned trials."""
    trials = trials_of(study, target)
    slices = slices_data(trials, space_of(study, trials, params))
    if not slices:
        raise NothingToPlot(_no_parameter(trials, params))
    return slices


def _no_parameter(trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> str:
    """Why a plot of parameters has none to draw, as its title says it."""
    if params is not None and not params:
        return "no parameter to plot: params is empty"
    if not any(t.state == TrialState.COMPLETE for t in trials):
        return "no parameter to plot: the study has no complete trial yet"
    return "no parameter to plot: no complete trial used any of them"


def contours(study: Any, params: Sequence[str] | None, target: Target | None) -> dict[str, Any]:
    """``{"params": names, "cells": {(x, y): contour_data}}``: the one pair of two
    parameters, or every ordered pair of more (a matrix, row ``y``, column ``x``); a
    choice's axis also carries its ``categories``, a Beta's is its ``1 - b`` on a log scale
    (``reversed``: beta grows to the right). Fewer than two parameters: ValueError."""
    trials = trials_of(study, target)
    declared = space_of(study, trials, params)
    trials, space = beta_as_decades(trials, declared)
    names = list(space.params)
    if len(names) < 2:
        raise NothingToPlot(f"a contour needs two parameters; there {'is' if len(names) == 1 else 'are'} "
                            f"{len(names) or 'none'}")
    if not complete_trials(trials):  # panels with nothing in them
        raise NothingToPlot("a contour needs complete trials; the study has none yet")
    pairs = [(names[0], names[1])] if len(names) == 2 else list(itertools.permutations(names, 2))
    direction = direction_of(study, target)
    cells = {(x, y): contour_data(trials, space, x, y, direction) for x, y in pairs}
    for cell in cells.values():
        for axis in (cell["x"], cell["y"]):
            axis["reversed"] = is_decades_of_beta(axis["name"], declared)
    return {"params": names, "cells": cells}


def edfs(studies: Any, target: Target | None) -> list[dict[str, Any]]:
    """One empirical distribution per study (a study, or a sequence of them), named by the study."""
    return [{"name": str(s.study_name), **edf_data(trials_of(s, target))} for s in studies_of(studies)]


def timeline(study: Any, n_recent_trials: int | None) -> dict[str, Any]:
    """Each trial's start, end and state (the last ``n_recent_trials`` only, if given)."""
    if n_recent_trials is not None and (isinstance(n_recent_trials, bool) or not isinstance(n_recent_trials, int)
                                        or n_recent_trials <= 0):
        raise ValueError(f"n_recent_trials: must be a positive integer or None, got {n_recent_trials!r}")
    trials = study.get_trials(deepcopy=False)
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:]
    return timeline_data(trials)


def importances(study: Any, evaluator: Any, params: Sequence[str] | None,
                target: Target | None) -> dict[str, Any]:
    """``{"importance": {name: share}, "std": {name: spread}}``, largest first: random forest
    + permutation (the report's measure, with its spread over the repeats) or ``evaluator``'s.
    A name in ``params`` no complete trial used is refused (``CannotExplain``), as by
    ``get_param_importances``; too little to measure from is :class:`NothingToPlot`."""
    from nntune.importance import CannotExplain, cannot_explain, measure_importances, used_params
    from nntune.importance import _warn_if_few as warn_if_few

    trials = trials_of(study, target)
    if params is not None and not params:
        raise NothingToPlot(_no_parameter(trials, params))
    space = space_of(study, trials, params)  # an unknown name first: ValueError
    missing = unused_params(trials, params)
    if missing:  # an error, not an empty figure: get_param_importances (and Optuna's plot) refuse it
        raise CannotExplain(f"params: no complete trial used {missing}, so their importance cannot be measured")
    if evaluator is None:
        # From as few trials as get_param_importances measures from (Optuna's plot draws
        # them too), with its warning that so few give a rough answer.
        result = param_importance(trials, space, seed=study.seed, min_trials=IMPORTANCE_FEWEST_TRIALS)
        if not result["importance"]:  # too few trials, or values that never vary: say so, as the API does
            raise NothingToPlot(str(cannot_explain(trials, len(used_params(space, trials)))))
        warn_if_few(result["n_trials"], stacklevel=7)  # at the caller of plot_param_importances
        return result
    try:
        shares = measure_importances(study, evaluator=evaluator, params=params, target=target)
    except CannotExplain as why:  # an empty plot saying why, whichever evaluator measured
        raise NothingToPlot(str(why)) from None
    return {"importance": shares, "std": {n: 0.0 for n in shares}}


def unused_params(trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> list[str]:
    """The names in ``params`` no complete trial of ``trials`` used; none while no trial
    has completed (the plot is then empty, as Optuna's)."""
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    return [p for p in params or () if not any(p in t.params for t in done)] if done else []


def importance_groups(study: Any, evaluator: Any, params: Sequence[str] | None, target: Target | None,
                      target_name: str) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, importances)]``: one for the value (named by ``set_metric_names`` when given)
    or ``target``; for a study of several objectives without ``target``, one per objective,
    named by its metric name or ``"<target_name> <i>"``, as Optuna's plot draws them. Every
    group lists every group's parameters, in the first one's order."""
    names = getattr(study, "metric_names", None)
    if target is not None or not study.is_multi_objective:
        return [(names[0] if names and target is None else target_name, importances(study, evaluator, params, target))]
    groups = []
    for i, direction in enumerate(study.directions):
        # A maximized objective turned round: PED-ANOVA explains the lowest values of a
        # target; a forest's shares are the same either way.
        sign = -1.0 if str(direction) == "maximize" else 1.0
        name = names[i] if names else f"{target_name} {i}"
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PedAnovaImportanceEvaluator explains what makes the target low")
            try:
                groups.append((name, importances(study, evaluator, params,
                                                 lambda t, i=i, sign=sign: sign * t.values[i])))
            except NothingToPlot as why:
                raise NothingToPlot(f"{name}: {why}") from None
    order = list(dict.fromkeys(n for _, data in groups for n in data["importance"]))
    return [(name, {**data, "importance": {n: data["importance"].get(n, 0.0) for n in order},
                    "std": {n: data["std"].get(n, 0.0) for n in order}}) for name, data in groups]


def pareto(study: Any, target_names: Sequence[str] | None, include_dominated_trials: bool,
           targets: Targets | None, constraints_func: Targets | None) -> dict[str, Any]:
    """The complete trials on the study's objectives (or on ``targets(trial)``), the
    Pareto-optimal ones marked; infeasible trials (stored constraint values, or
    ``constraints_func``) are never on the front, and are kept without the dominated ones."""
    if not study.is_multi_objective and targets is None:
        raise ValueError("a Pareto front needs a study of several objectives (create_study(directions=[...]))")
    trials = list(study.get_trials(deepcopy=False))
    if targets is not None:
        trials = [dataclasses.replace(t, system_attrs={**t.system_attrs, "values": list(targets(t))})
                  if t.state == TrialState.COMPLETE else t for t in trials]
    if constraints_func is not None:
        # The function's values replace any the trials stored, as Optuna's plot reads them.
        trials = [dataclasses.replace(t, system_attrs={**{k: v for k, v in t.system_attrs.items()
                                                          if not k.startswith(CONSTRAINTS_KEY)},
                                                       CONSTRAINTS_KEY: list(constraints_func(t))})
                  if t.state == TrialState.COMPLETE else t for t in trials]
    n = len(study.directions) if targets is None else len(next((t.values for t in trials if t.values), [0, 0]))
    if targets is not None and n not in (2, 3):
        raise ValueError(f"targets: must return 2 or 3 values per trial to plot, got {n}")
    if targets is None and n > 3:  # the front is over every objective: three axes would hide the rest
        raise ValueError(f"the study has {n} objectives and a Pareto plot has 2 or 3 axes; give targets= that "
                         "returns the 2 or 3 values to draw")
    if isinstance(target_names, (str, bytes)):  # read letter by letter, "ab" named the axes "a" and "b"
        raise ValueError(f"target_names: must be a list of names, one per {'target' if targets else 'objective'}, "
                         f"got {target_names!r}")
    if target_names is not None and len(target_names) != n:
        raise ValueError(f"target_names: needs {n} names, one per {'target' if targets else 'objective'}, "
                         f"got {len(target_names)}")
    dirs = [str(d) for d in study.directions] if targets is None else ["minimize"] * n
    if target_names is None and targets is None:  # the names set_metric_names gave, as Optuna's plot takes them
        target_names = getattr(study, "metric_names", None)
    target_names = target_names or [f"Objective {i}" for i in range(n)]  # Optuna's names for the rest
    data = pareto_data(trials, dirs, target_names)
    if not include_dominated_trials:  # as Optuna's plot: the front, and the infeasible trials all the same
        keep = [i for i, (p, ok) in enumerate(zip(data["pareto"], data["feasible"])) if p or not ok]
        data = {**data, **{k: [data[k][i] for i in keep] for k in ("number", "values", "pareto", "feasible", "params")}}
    return data


def ranks(study: Any, params: Sequence[str] | None, target: Target | None) -> dict[str, Any]:
    """The complete trials' columns (``parallel``), each one's ``rank`` by value, from 0
    (the best) to 1 (the worst), equal values sharing one rank, and whether it met the
    study's constraints (``feasible``: one that broke them is grey, though ranked among
    the rest, as Optuna's rank plot draws it)."""
    data = parallel(study, params, target)
    if not data["value"]:
        raise NothingToPlot("plot_rank needs complete trials; the study has none yet")
    met = {t.number: is_feasible(t) for t in study.get_trials(deepcopy=False)}
    return {**data, "rank": value_ranks(data["value"], direction_of(study, target)),
            "feasible": [met[n] for n in data["number"]]}


def value_ranks(values: Sequence[float], direction: str) -> list[float]:
    """Each value's rank among ``values``, from 0 (the best in ``direction``) to 1 (the worst),
    equal values sharing the mean of their places, as optuna's ``plot_rank`` ranks them (two
    trials of one accuracy get one colour): ``plot_rank``'s colours (the dashboard's too)."""
    if not values:
        return []
    from scipy.stats import rankdata

    keys = [-v for v in values] if direction == "maximize" else list(values)
    return [float(r) for r in (rankdata(keys, method="average") - 1) / max(1, len(keys) - 1)]
