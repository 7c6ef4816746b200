"""Plain data for the plots Optuna users draw beside the report's own: a contour of two
parameters, the empirical distribution of values, the timeline of trials, the Pareto front
of a study of several objectives, and the lineage of PBT members and forks; and what
``nntune show`` and the report both say of a study (its memory, its trials by state, which
are running). Pure functions of the trials."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from nntune.analysis import complete_trials, thin
from nntune.space import Choice, Space
from nntune.samplers import is_feasible
from nntune.samplers._nsga import pareto_trials
from nntune.trial import FrozenTrial, TrialState, constraint_values, counts_by_state

MAX_POINTS = 2000
# The user attributes PBT marks a copy of another member with (the only ones nntune reads as marks).
PBT_MARKS = ("pbt_parent", "pbt_parent_step")


def _axis(space: Space, name: str, trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    dist = space.params[name]
    values = [t.params.get(name) for t in trials]
    if isinstance(dist, Choice):  # its labels in the space's order, as plot_contour's axis lists them
        return {"name": name, "values": [str(v) for v in values], "log": False, "categorical": True,
                "categories": [str(v) for v in dist.values]}
    return {"name": name, "values": [None if v is None else float(v) for v in values],
            "log": bool(getattr(dist, "log", False)), "categorical": False}


def contour_data(trials: Sequence[FrozenTrial], space: Space, x: str, y: str,
                 direction: str = "minimize") -> dict[str, Any]:
    """The complete trials' values over two parameters: the points (a choice's axis with its
    ``categories``) and whether each met the study's constraints (``feasible``), and the
    values on a grid interpolated between them (linear; nearest outside their hull); over a
    choice, :func:`choice_grid`'s surface, whose cells of two choices hold their best value
    in ``direction``. The surface reads every point, those that broke the constraints too,
    as Optuna's contour does."""
    done = [t for t in complete_trials(trials) if x in t.params and y in t.params]
    out: dict[str, Any] = {"x": _axis(space, x, done), "y": _axis(space, y, done),
                           "value": [float(t.value) for t in done], "number": [t.number for t in done],  # type: ignore[arg-type]
                           "feasible": [is_feasible(t) for t in done], "grid": None}
    if out["x"]["categorical"] or out["y"]["categorical"]:
        out["grid"] = choice_grid(out, direction)
        return out
    if len(done) < 3:
        return out
    from scipy.interpolate import griddata

    def scaled(a: dict[str, Any]) -> np.ndarray:
        v = np.array(a["values"], dtype=float)
        return np.log10(v) if a["log"] else v

    px, py, pv = scaled(out["x"]), scaled(out["y"]), np.array(out["value"], dtype=float)
    if np.ptp(px) == 0 or np.ptp(py) == 0:
        return out
    gx, gy = np.linspace(px.min(), px.max(), 50), np.linspace(py.min(), py.max(), 50)
    mx, my = np.meshgrid(gx, gy)
    try:
        z = griddata((px, py), pv, (mx, my), method="linear")
    except Exception:  # collinear points: no triangles to interpolate in
        z = np.full(mx.shape, np.nan)
    near = griddata((px, py), pv, (mx, my), method="nearest")
    z = np.where(np.isnan(z), near, z)
    unscale = (lambda a, log: (10 ** a if log else a).tolist())
    out["grid"] = {"x": unscale(gx, out["x"]["log"]), "y": unscale(gy, out["y"]["log"]), "z": z.tolist()}
    return out


def choice_grid(cell: dict[str, Any], direction: str) -> dict[str, Any] | None:
    """The surface of a :func:`contour_data` cell with a choice on an axis, as Optuna draws
    it over the choices' places (the plots, the dashboard and the report share it): a choice's axis at the
    labels the trials used (in ``categories``' order), a number's at 50 steps over its
    range (by decades when log-scaled). Beside a number, each label's column runs along it
    through that label's trials alone (the nearest value beyond them); for two choices, a
    cell is its trials' best value in ``direction`` and an empty one is interpolated from
    the rest. None where an axis has fewer than two values, or no axis is a choice."""
    axes = [_grid_axis(a) for a in (cell["x"], cell["y"])]
    if not (cell["x"]["categorical"] or cell["y"]["categorical"]) or None in axes:
        return None
    (gx, px, sx), (gy, py, sy) = axes  # steps as drawn (labels or numbers), points' and steps' places
    ok = ~(np.isnan(px) | np.isnan(py))
    px, py, pv = px[ok], py[ok], np.asarray(cell["value"], dtype=float)[ok]
    best = np.fmax if direction == "maximize" else np.fmin
    if cell["x"]["categorical"] and cell["y"]["categorical"]:
        z = np.full((len(sy), len(sx)), np.nan)
        for x, y, v in zip(px.astype(int), py.astype(int), pv):
            z[y, x] = best(z[y, x], v)
        z = _filled(z)
    elif cell["x"]["categorical"]:
        z = np.array([_along(py[px == i], pv[px == i], sy, best) for i in range(len(sx))]).T
    else:
        z = np.array([_along(px[py == i], pv[py == i], sx, best) for i in range(len(sy))])
    return {"x": gx, "y": gy, "z": z.tolist()}


def _grid_axis(axis: dict[str, Any]) -> tuple[list[Any], np.ndarray, np.ndarray] | None:
    """``(steps as drawn, each point's place, the steps' places)`` along one axis: a
    choice's used labels at 0, 1, ... (a label off ``categories``: NaN), a number's 50
    steps (log10 places for a log scale); None for fewer than two values."""
    if axis["categorical"]:
        seen = set(axis["values"])
        used = [c for c in axis.get("categories") or sorted(seen) if c in seen]
        where = {c: float(i) for i, c in enumerate(used)}
        places = np.array([where.get(v, np.nan) for v in axis["values"]], dtype=float)
        return (used, places, np.arange(len(used), dtype=float)) if len(used) > 1 else None
    places = np.asarray(axis["values"], dtype=float)
    places = np.log10(places) if axis["log"] else places
    if not np.ptp(places) > 0:
        return None
    steps = np.linspace(places.min(), places.max(), 50)
    return (10 ** steps if axis["log"] else steps).tolist(), places, steps


def _along(at: np.ndarray, values: np.ndarray, steps: np.ndarray, best: Any) -> np.ndarray:
    """One label's column: its trials' values (the best of those at one place) interpolated
    at ``steps``, the nearest one beyond them."""
    places = np.unique(at)
    tops = [best.reduce(values[at == a]) for a in places]
    return np.interp(steps, places, tops)


def _filled(z: np.ndarray) -> np.ndarray:
    """``z`` with its NaN cells interpolated from the others (linearly, nearest outside them)."""
    empty = np.isnan(z)
    if not empty.any():
        return z
    from scipy.interpolate import griddata

    known = np.argwhere(~empty)
    try:
        guess = griddata(known, z[~empty], np.argwhere(empty), method="linear")
    except Exception:  # fewer than three cells, or all in a line: no triangles to interpolate in
        guess = np.full(int(empty.sum()), np.nan)
    near = griddata(known, z[~empty], np.argwhere(empty), method="nearest")
    z = z.copy()
    z[empty] = np.where(np.isnan(guess), near, guess)
    return z


def edf_data(trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    """The share of complete trials with a value at or below each value (sorted)."""
    values = np.sort(np.array([t.value for t in complete_trials(trials)], dtype=float))
    shares = np.arange(1, len(values) + 1) / max(len(values), 1)
    pts = thin(list(zip(values.tolist(), shares.tolist())), MAX_POINTS)
    return {"value": [p[0] for p in pts], "share": [p[1] for p in pts], "n_complete": int(len(values))}


def timeline_data(trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    """Each started trial's start, end (None while running), state, and whether it met the
    study's constraints (``feasible``: a complete trial that broke them is its own kind of
    bar, Optuna's "INFEASIBLE"), in number order."""
    rows = [{"number": t.number, "state": t.state.value, "start": t.datetime_start.isoformat(),
             "end": None if t.datetime_complete is None else t.datetime_complete.isoformat(),
             "feasible": is_feasible(t)}
            for t in trials if t.datetime_start is not None]
    return {"rows": rows}


def pareto_data(trials: Sequence[FrozenTrial], directions: Sequence[str],
                names: Sequence[str] | None = None) -> dict[str, Any]:
    """Every complete trial's values, the Pareto-optimal ones marked, whether each met the
    study's constraints (``feasible``: one that broke them is off the front, not dominated),
    and the objectives' names."""
    front = {id(t) for t in pareto_trials([t for t in trials if is_feasible(t)], directions)}
    whole = [t for t in trials if t.state.value == "complete" and t.values is not None
             and len(t.values) == len(directions)]
    done = [t for t in whole if all(math.isfinite(v) for v in t.values or ())]
    return {"n_infinite": len(whole) - len(done),  # valued inf or -inf on an objective: no plot can place them
            "names": list(names or [f"objective {i}" for i in range(len(directions))]),
            "directions": list(directions), "number": [t.number for t in done],
            "values": [list(t.values or []) for t in done], "pareto": [id(t) in front for t in done],
            "feasible": [is_feasible(t) for t in done], "params": [t.params for t in done]}


def front_data(trials: Sequence[FrozenTrial], directions: Sequence[str], names: Sequence[str] | None,
               evaluations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A study of several objectives for ``nntune show`` and the report alike: the Pareto
    front among feasible trials (number, values, params, constraint values, and the scalar
    metrics of its latest test look, or None), the plot's points (:func:`pareto_data`), and
    how many complete trials broke their constraints."""
    looks: dict[int, dict[str, float]] = {}
    for e in evaluations:
        looks[int(e["trial"])] = {k: v for k, v in dict(e.get("metrics", {})).items()
                                  if isinstance(v, (int, float)) and not isinstance(v, bool)}
    points = pareto_data(trials, directions, names)
    front = pareto_trials([t for t in trials if is_feasible(t)], directions)
    rows = [{"number": t.number, "values": list(t.values or []), "params": t.params,
             "constraints": constraint_values(t.system_attrs) or None, "test": looks.get(t.number)} for t in front]
    infeasible = sum(1 for t in trials if t.state.value == "complete" and not is_feasible(t))
    return {"names": points["names"], "directions": list(directions), "rows": rows, "points": points,
            "infeasible": infeasible}


def study_front(attrs: Mapping[str, Any], trials: Sequence[FrozenTrial],
                evaluations: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """:func:`front_data` for a stored study of several objectives (its ``directions`` and
    ``metrics`` attributes), None for one objective."""
    directions = attrs.get("directions")
    if not isinstance(directions, list) or len(directions) < 2:
        return None
    names = attrs.get("metrics")
    return front_data(trials, [str(d) for d in directions],
                      [str(n) for n in names] if isinstance(names, list) and len(names) == len(directions) else None,
                      evaluations)


def shared_by_stacks(attrs: Mapping[str, Any]) -> bool:
    """Whether the study's trials were trained as stacks (the population executor): its
    statistics are stored, or the stored config names that executor."""
    config = attrs.get("config")
    search = config.get("search") if isinstance(config, Mapping) else None
    return "population" in attrs or (isinstance(search, Mapping) and search.get("executor") == "population")


def memory_data(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The trials' recorded peak memory (``system_attrs["peak_rss_mb"]``) and what it is the
    peak of: ``scope`` "trial" where one process trains one trial at a time (the process's
    peak while that trial ran), "process" under the population executor, where it is the peak
    of the process training a whole stack, shared by all its members, not any trial's own.
    ``{"scope", "peak_rss_mb" (the largest), "median_mb", "max_trial", "n_trials", "text"}``,
    None when no trial recorded it."""
    measured = [(float(t.system_attrs["peak_rss_mb"]), t.number) for t in trials
                if isinstance(t.system_attrs.get("peak_rss_mb"), (int, float))
                and math.isfinite(float(t.system_attrs["peak_rss_mb"]))]
    if not measured:
        return None
    largest, at = max(measured)
    median = float(np.median([mb for mb, _ in measured]))
    if shared_by_stacks(attrs):
        text = (f"peak memory (RSS) {largest:.0f} MB: the peak of the process that trained the trials as "
                f"stacks, shared by all members of a stack, not any one trial's own")
        scope = "process"
    else:
        text = (f"peak memory (RSS) of the process while each trial ran: median {median:.0f} MB, "
                f"largest {largest:.0f} MB (trial {at})")
        scope = "trial"
    return {"scope": scope, "peak_rss_mb": largest, "median_mb": median, "max_trial": at,
            "n_trials": len(measured), "text": text}


ACTIVE_STATES = (TrialState.RUNNING, TrialState.WAITING)


def state_counts(trials: Sequence[FrozenTrial]) -> dict[str, int]:
    """Trials by state: the finished states (:func:`nntune.trial.counts_by_state`'s keys),
    then ``running`` and ``waiting`` (queued), so a trial in flight is counted too."""
    counts = counts_by_state(trials)
    for state in ACTIVE_STATES:
        counts[state.value] = sum(t.state == state for t in trials)
    return counts


def activity_text(trials: Sequence[FrozenTrial], limit: int = 5) -> str | None:
    """Which trials are running (with their epochs so far) and how many wait in the queue,
    as a sentence; None when none is. A running trial has no value yet, so no leaderboard
    shows it: this says it is there (a trial whose process was killed stays running until
    it is recovered)."""
    running = sorted((t for t in trials if t.state == TrialState.RUNNING), key=lambda t: t.number)
    waiting = sum(t.state == TrialState.WAITING for t in trials)
    parts = []
    if running:
        shown = ", ".join(f"{t.number} ({t.epochs} epoch{'s' if t.epochs != 1 else ''} so far)"
                          for t in running[:limit])
        more = f" and {len(running) - limit} more" if len(running) > limit else ""
        parts.append(f"trial{'s' if len(running) > 1 else ''} {shown}{more} "
                     f"{'are' if len(running) > 1 else 'is'} running")
    if waiting:
        parts.append(f"{waiting} trial{'s' if waiting > 1 else ''} waiting in the queue")
    return "; ".join(parts) if parts else None


def reported_metric(trials: Sequence[FrozenTrial]) -> str | None:
    """The ``m`` of the ``val_<m>`` its records hold where a trial reported it as its value
    (``loss`` for an objective that minimizes the validation loss beside a logged accuracy),
    read from the trials' records and intermediate values; None when no record holds the value."""
    votes: dict[str, int] = {}
    for t in trials:
        for rec in t.metrics:
            value = t.intermediate_values.get(rec.get("step"))  # type: ignore[arg-type]
            if value is None:
                continue
            for key, v in rec.items():
                if key.startswith("val_") and _same_number(v, value):
                    votes[key[4:]] = votes.get(key[4:], 0) + 1
    return max(votes, key=lambda m: votes[m]) if votes else None


def _same_number(a: Any, b: float) -> bool:
    """Whether a record's entry is the reported value (stored as JSON, so within rounding)."""
    return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isclose(float(a), b, rel_tol=1e-9,
                                                                                     abs_tol=1e-12)


def how_often_opened(looks: int) -> str:
    """``has never been evaluated``, ``has been evaluated once`` or ``... N times``."""
    return "has never been evaluated" if looks == 0 else \
        f"has been evaluated {'once' if looks == 1 else f'{looks} times'}"


def sealed_split(attrs: Mapping[str, Any]) -> bool:
    """Whether nntune trained the study from a config (``tune``, ``babysit``), whose test split it seals."""
    return "config" in attrs or isinstance(attrs.get("babysit"), Mapping)


def split_line(study: str, looks: int, sealed: bool) -> str:
    """How often the study's test split was opened; a study nntune did not train (no config:
    a define-by-run objective) never gave nntune its test data, so it has no sealed split."""
    if looks == 0 and not sealed:
        return f"{study} has no sealed test split: its objective is its own, and nntune never held its test data"
    return f"the test split of {study} {how_often_opened(looks)}"


def is_pbt_study(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any] | None = None) -> bool:
    """Whether the study trains by population-based training: its stored config names PBT,
    or a trial is marked as a founding member or as a copy of another."""
    config = (attrs or {}).get("config")
    search = config.get("search") if isinstance(config, Mapping) else None
    if isinstance(search, Mapping) and search.get("scheduler") == "pbt":
        return True
    return any("pbt_founder" in t.user_attrs or "pbt_parent" in t.user_attrs for t in trials)


def lineage_data(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """PBT lineage: every trial that has a parent or is one, with its parent and the step it
    was copied at. Empty ``nodes`` for a study without population-based training, and for a
    PBT study (``pbt`` true, as for any study with a lineage) before any member copied
    another. ``stopped``: under PBT, the members stopped (pruned) that no trial continued
    from, whose lines end with them; those without a parent are in no node."""
    parent_of: dict[int, tuple[int, Any]] = {}
    for t in trials:
        parent, step = lineage_mark(t)
        if isinstance(parent, int) and not isinstance(parent, bool):
            parent_of[t.number] = (parent, step)
    parents = {p for p, _ in parent_of.values()}
    involved = set(parent_of) | parents
    nodes = [{"number": t.number, "state": t.state.value, "value": _finite_value(t.value),
              "parent": parent_of.get(t.number, (None, None))[0], "parent_step": parent_of.get(t.number, (None, None))[1]}
             for t in trials if t.number in involved]
    pbt = is_pbt_study(trials, attrs)
    # A stopped member's replacement copies a better member, not it: nothing leaves it. (A
    # trial a scheduler pruned in a study of forks alone is no member of a population.)
    stopped = [t.number for t in trials if pbt and t.state == TrialState.PRUNED and t.number not in parents]
    return {"nodes": nodes, "n_children": len(parent_of), "pbt": bool(parent_of) or pbt, "stopped": stopped}


def lineage_mark(t: FrozenTrial) -> tuple[Any, Any]:
    """The trial a trial continued from, and at which step: PBT marks a copy in its user
    attributes (``pbt_parent``), a fork in its system attributes (``parent``). A user
    attribute of the objective's own called ``parent`` is the user's, not a lineage."""
    if "pbt_parent" in t.user_attrs or "pbt_parent" in t.system_attrs:
        marks = {**t.system_attrs, **t.user_attrs}
        return marks.get("pbt_parent"), marks.get("pbt_parent_step")
    return t.system_attrs.get("parent"), t.system_attrs.get("parent_step")


def _finite_value(v: float | None) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def infinite_count(trials: Sequence[FrozenTrial]) -> int:
    """Complete trials valued inf or -inf (the first objective's value): kept, and the best
    trial may be one, but no plot can place them, so the report's plots leave them out, as
    Optuna's do, and their notes must count them."""
    return sum(1 for t in trials if t.state == TrialState.COMPLETE and t.value is not None and math.isinf(t.value))


def look_time(value: Any) -> str:
    """When a look at the test split was recorded, to the second: storages keep naive UTC
    times with microseconds (a journal as ISO text), which the table needs neither of."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ("" if value is None else str(value))
