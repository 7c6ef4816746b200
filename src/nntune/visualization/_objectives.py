"""The parallel coordinates of a study of several objectives drawn without ``target``, as
Optuna's ``plot_parallel_coordinate`` draws them: an axis per objective (named by
``set_metric_names``, else ``Objective i``) before the parameters, each trial's line
coloured by its Pareto rank (0: on the front; ranked without the constraints, as Optuna's)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from nntune.report.data import parallel_data
from nntune.samplers._nsga import minimized, nondominated_fronts
from nntune.trial import FrozenTrial, TrialState
from nntune.visualization._data import Target, beta_as_decades, is_decades_of_beta, parallel, space_of

RANK_NAME = "Pareto Rank"


def parallel_view(study: Any, params: Sequence[str] | None, target: Target | None) -> tuple[dict[str, Any], bool]:
    """``(data, by_rank)``: ``_data.parallel``'s columns, or for a study of several objectives
    without ``target`` its objectives' columns then the parameters', with each trial's
    Pareto rank as the ``value`` that colours its line (``by_rank``: no axis of its own)."""
    if target is not None or not study.is_multi_objective:
        return parallel(study, params, target), False
    directions = [str(d) for d in study.directions]
    trials = [t for t in study.get_trials(deepcopy=False) if _scored(t, len(directions))]
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
    return {**data, "dimensions": dims, "value": [data["value"][k] for k in order],
            "number": [data["number"][k] for k in order]}, True


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
