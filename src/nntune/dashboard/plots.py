"""The study page's plot of two chosen parameters: the value over the pair (the contour
``nntune.visualization.plot_contour`` draws, from the same ``contour_data``, a Beta as its
``1 - b`` on a log scale, a choice as its labels in the space's order) and each trial's rank
by value (``plot_rank``'s rule), built on the server for the pair the page's selects name.
Every parameter can be picked, as in optuna-dashboard: over a choice the trials are points
without the interpolated surface (its values have no distance between them).

Pure functions of the trials and the space; the app caches their JSON per study version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nntune.analysis import study_space
from nntune.dashboard.query import BadQuery
from nntune.report.study_data import contour_data
from nntune.samplers import is_feasible
from nntune.space import Choice, Space
from nntune.trial import FrozenTrial
from nntune.visualization._data import beta_as_decades, is_decades_of_beta, value_ranks


def contour_params(space: Space) -> list[str]:
    """The parameters the selects offer: every one, in the space's order."""
    return list(space.params)


def numeric_params(space: Space) -> list[str]:
    """The parameters a contour can interpolate over: every one that is not a choice."""
    return [n for n, d in space.params.items() if not isinstance(d, Choice)]


def default_pair(names: Sequence[str], importance: Mapping[str, float] | None,
                 numeric: Sequence[str] | None = None) -> tuple[str, str] | None:
    """The two most important of ``names`` when an importance is known (it lists the largest
    first), the space's first two otherwise; None for fewer than two. Where ``numeric``
    holds two or more of them, the pair is taken among those, so the page opens on an
    interpolated surface."""
    pool = [n for n in names if n in numeric] if numeric is not None else list(names)
    if len(pool) < 2:
        pool = list(names)
    ranked = [n for n in (importance or {}) if n in pool]
    ordered = ranked + [n for n in pool if n not in ranked]
    return (ordered[0], ordered[1]) if len(ordered) >= 2 else None


def chosen_pair(names: Sequence[str], x: str | None, y: str | None,
                importance: Mapping[str, float] | None,
                numeric: Sequence[str] | None = None) -> tuple[str, str] | None:
    """The pair asked for (both or neither of ``x`` and ``y``), checked against ``names``;
    the default pair when none is asked for. A bad one is a :class:`BadQuery`."""
    if x is None and y is None:
        return default_pair(names, importance, numeric)
    for field, name in (("x", x), ("y", y)):
        if name is None:
            raise BadQuery(field, "missing (give both x and y, or neither)")
        if name not in names:
            raise BadQuery(field, f"no parameter {name!r} (expected one of {', '.join(names) or 'none'})")
    if x == y:
        raise BadQuery("y", f"must differ from x ({x!r})")
    return x, y  # type: ignore[return-value]


def contour_view(trials: Sequence[FrozenTrial], space: Space, x: str, y: str, direction: str) -> dict[str, Any]:
    """``plot_contour``'s data for the pair (``contour_data`` of the complete trials; a Beta's
    axis is its ``1 - b``, ``reversed`` so that beta grows to the right) and each point's
    ``rank`` by value among those that met the study's constraints (``feasible``; 0 the best of
    them, as ``study.best_value`` counts them), None for one that broke them."""
    declared = Space({x: space.params[x], y: space.params[y]})
    shown, flipped = beta_as_decades(trials, declared)
    sx, sy = list(flipped.params)
    cell = contour_data(shown, flipped, sx, sy)
    for axis in (cell["x"], cell["y"]):
        dist = flipped.params[axis["name"]]
        if isinstance(dist, Choice):  # its labels in the space's order, as plot_contour's axis
            axis["categories"] = [str(v) for v in dist.values]
        axis["reversed"] = is_decades_of_beta(axis["name"], declared)
    met = {t.number: is_feasible(t) for t in trials}
    cell["feasible"] = [met[n] for n in cell["number"]]
    ranks = iter(value_ranks([v for v, ok in zip(cell["value"], cell["feasible"]) if ok], direction))
    cell["rank"] = [next(ranks) if ok else None for ok in cell["feasible"]]
    return cell


def contour_body(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any], direction: str, x: str | None,
                 y: str | None, importance: Mapping[str, float] | None) -> dict[str, Any]:
    """What ``/api/contour`` answers: the parameters the selects offer, the pair drawn (None
    with fewer than two) and its :func:`contour_view`."""
    space = study_space(trials, attrs)
    names = contour_params(space)
    pair = chosen_pair(names, x, y, importance, numeric_params(space))
    return {"params": names, "pair": None if pair is None else list(pair),
            "contour": None if pair is None else contour_view(trials, space, pair[0], pair[1], direction)}
