"""The study page's plot of two chosen parameters: the value over the pair (the contour
``nntune.visualization.plot_contour`` draws, from the same ``contour_data``, a Beta as its
``1 - b`` on a log scale, a choice as its labels in the space's order) and each trial's rank
by value (``plot_rank``'s rule), built on the server for the pair the page's selects name.
Every parameter can be picked, as in optuna-dashboard: over a choice the surface is drawn at
its labels' places, as ``plot_contour`` draws it (each label's column through its own
trials; a cell of two choices holds their best value). A study of
several objectives plots the one its page picks (``objective=K``, from 0; the first by
default), valued and ranked in that objective's own direction, as optuna-dashboard does.

Pure functions of the trials and the space; the app caches their JSON per study version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from nntune.analysis import complete_trials, param_importance, study_space
from nntune.dashboard.query import BadQuery, integer
from nntune.report.data import parallel_data, slices_data
from nntune.report.study_data import contour_data, edf_data
from nntune.space import Choice, Space
from nntune.trial import FrozenTrial, TrialState
from nntune.visualization._data import beta_as_decades, is_decades_of_beta, value_ranks


def contour_params(space: Space) -> list[str]:
    """The parameters the selects offer: every one, in the space's order."""
    return list(space.params)


def numeric_params(space: Space) -> list[str]:
    """The parameters a contour can interpolate over: every one that is not a choice."""
    return [n for n, d in space.params.items() if not isinstance(d, Choice)]


MIN_SHARED = 3  # complete trials a surface is interpolated between (contour_data's rule)


def shared_counts(trials: Sequence[FrozenTrial]) -> Callable[[str, str], int]:
    """How many complete trials hold both of two parameters: a conditional parameter (an SGD
    momentum, one model's depth) is held by some trials only, and two of them may never meet."""
    held = Counter(frozenset(t.params) for t in complete_trials(trials))
    return lambda a, b: sum(n for names, n in held.items() if a in names and b in names)


def default_pair(names: Sequence[str], importance: Mapping[str, float] | None,
                 numeric: Sequence[str] | None = None,
                 shared: Callable[[str, str], int] | None = None) -> tuple[str, str] | None:
    """The two most important of ``names`` when an importance is known (it lists the largest
    first), the space's first two otherwise; None for fewer than two. Where ``numeric``
    holds two or more of them, the pair is taken among those, so the page opens on an
    interpolated surface. With ``shared`` (:func:`shared_counts`), a pair too few complete
    trials hold both of is passed over for the next (the first parameter kept, its partner
    changed first): a default pair of two conditional parameters that never meet would open
    the page on an empty plot while others would draw a surface."""
    ranked = [n for n in (importance or {}) if n in names]
    ordered = ranked + [n for n in names if n not in ranked]
    if len(ordered) < 2:
        return None
    pools = [[n for n in ordered if n in numeric]] if numeric is not None else []
    pools.append(ordered)
    if shared is not None:
        # Most studies stop at their first pair; the best count of all pairs (hundreds of them
        # over thousands of trials) is looked for only where no pair reaches MIN_SHARED.
        found = _first_pair(pools, lambda a, b: shared(a, b) >= MIN_SHARED)
        if found is None:
            most = max(shared(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:])
            found = _first_pair(pools, lambda a, b: shared(a, b) >= most)
        return found
    pool = pools[0] if len(pools[0]) >= 2 else ordered
    return pool[0], pool[1]


def _first_pair(pools: Sequence[Sequence[str]], ok: Callable[[str, str], bool]) -> tuple[str, str] | None:
    """The first pair of the first pool holding one that is ``ok`` (each pool in its order,
    its first parameter kept while its partner changes)."""
    for pool in pools:
        for i, a in enumerate(pool):
            for b in pool[i + 1:]:
                if ok(a, b):
                    return a, b
    return None


def chosen_pair(names: Sequence[str], x: str | None, y: str | None,
                importance: Mapping[str, float] | None,
                numeric: Sequence[str] | None = None,
                shared: Callable[[str, str], int] | None = None) -> tuple[str, str] | None:
    """The pair asked for (both or neither of ``x`` and ``y``), checked against ``names``;
    the default pair when none is asked for. A bad one is a :class:`BadQuery`."""
    if x is None and y is None:
        return default_pair(names, importance, numeric, shared)
    for field, name in (("x", x), ("y", y)):
        if name is None:
            raise BadQuery(field, "missing (give both x and y, or neither)")
        if name not in names:
            raise BadQuery(field, f"no parameter {name!r} (expected one of {', '.join(names) or 'none'})")
    if x == y:
        raise BadQuery("y", f"must differ from x ({x!r})")
    return x, y  # type: ignore[return-value]


def contour_view(trials: Sequence[FrozenTrial], space: Space, x: str, y: str, direction: str) -> dict[str, Any]:
    """``plot_contour``'s data for the pair (``contour_data`` of the complete trials, its
    surface over a choice too; a Beta's axis is its ``1 - b``, ``reversed`` so that beta
    grows to the right) and each point's
    ``rank`` by value among those that met the study's constraints (``feasible``; 0 the best of
    them, as ``study.best_value`` counts them), None for one that broke them."""
    declared = Space({x: space.params[x], y: space.params[y]})
    shown, flipped = beta_as_decades(trials, declared)
    sx, sy = list(flipped.params)
    cell = contour_data(shown, flipped, sx, sy, direction)  # over a choice too: plot_contour's surface
    for axis in (cell["x"], cell["y"]):
        axis["reversed"] = is_decades_of_beta(axis["name"], declared)
    ranks = iter(value_ranks([v for v, ok in zip(cell["value"], cell["feasible"]) if ok], direction))
    cell["rank"] = [next(ranks) if ok else None for ok in cell["feasible"]]
    return cell


def contour_body(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any], direction: str, x: str | None,
                 y: str | None, importance: Mapping[str, float] | None,
                 objective: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``/api/contour`` answers: the parameters the selects offer, the pair drawn (None
    with fewer than two) and its :func:`contour_view`, of ``objective`` when given (one of
    several: :func:`objective_of`)."""
    if objective is not None:
        trials, direction = objective_trials(trials, objective["index"]), objective["direction"]
    space = study_space(trials, attrs)
    names = contour_params(space)
    pair = chosen_pair(names, x, y, importance, numeric_params(space), shared_counts(trials))
    return {"params": names, "pair": None if pair is None else list(pair), "objective": objective,
            "contour": None if pair is None else contour_view(trials, space, pair[0], pair[1], direction)}


def objective_of(params: Mapping[str, Sequence[str]], objectives: Sequence[Mapping[str, str]] | None) -> dict[str, Any] | None:
    """The objective a plot asks for (``objective=K``, from 0; 0 when not given) with its
    name and direction, None for a study of one objective (only ``objective=0`` is allowed
    there). An index the study lacks is a :class:`BadQuery`."""
    count = 1 if objectives is None else len(objectives)
    index = integer(params, "objective", 0, -10**9, 10**9)
    if not 0 <= index < count:
        raise BadQuery("objective", f"no objective {index} (the study has {count}, numbered from 0 to {count - 1})")
    return None if objectives is None else {"index": index, **objectives[index]}


def objective_trials(trials: Sequence[FrozenTrial], index: int) -> list[FrozenTrial]:
    """The trials valued by objective ``index`` (a complete trial without it has no value)."""
    def valued(t: FrozenTrial) -> FrozenTrial:
        values = t.values
        return replace(t, value=values[index] if values is not None and index < len(values) else None)
    return [valued(t) if t.state == TrialState.COMPLETE else t for t in trials]


def objective_plots(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any], objective: dict[str, Any],
                    seed: int = 0) -> dict[str, Any]:
    """What ``/api/plots`` answers for one of several objectives: the overview's plots of one
    objective (parallel coordinates, slices, importance, EDF), built by the same builders
    from the trials valued by that objective."""
    valued = objective_trials(trials, objective["index"])
    space = study_space(valued, attrs)
    return {"objective": objective, "parallel": parallel_data(valued, space), "slices": slices_data(valued, space),
            "importance": param_importance(valued, space, seed=seed), "edf": edf_data(valued),
            "complete": sum(t.state == TrialState.COMPLETE for t in trials)}  # those with an infinite value too
