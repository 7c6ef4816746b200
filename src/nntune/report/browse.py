"""Plain data for browsing studies: the list of studies, a filtered, sorted page of trials,
one trial in full (curves, learning rate, diagnosis), coarse-to-fine stages,
several studies' histories side by side, and one row per trial for export.

The same builders serve ``nntune dashboard`` (as JSON), ``nntune studies`` and
``nntune export``; :mod:`nntune.report.data` builds the plot sections they share with the
report. Every function takes trials already read, so a caller that keeps a study's trials
up to date (the dashboard) never reads the whole history twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from datetime import datetime
from typing import Any

from nntune._json import dumps, infinite_text
from nntune.analysis import study_space
from nntune.report._user_attrs import attr_texts
from nntune.diagnose import diagnose
from nntune.report.data import best_of, curve_of, history_data, rank, scheduler_info
from nntune.storage import StudySummary, redact_url
from nntune.trial import FrozenTrial, TrialState

MAX_PAGE_SIZE = 500
SORT_KEYS = ("number", "value", "state", "epochs", "duration", "start")


def iso(d: datetime | None) -> str | None:
    return None if d is None else d.isoformat(timespec="seconds")


def _finite(v: float | None) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def studies_data(summaries: Sequence[StudySummary], storage_url: str) -> dict[str, Any]:
    """``{"storage", "studies": [{name, direction, counts, n_trials, best_value, last_activity,
    created_at, running}]}``: what ``nntune studies --json`` prints and the dashboard lists."""
    rows = [{"name": s.name, "direction": s.direction, "counts": s.counts, "n_trials": s.n_trials,
             "best_value": _finite(s.best_value), "last_activity": iso(s.last_activity),
             "created_at": iso(s.created_at), "running": s.counts.get("running", 0)} for s in summaries]
    return {"storage": redact_url(storage_url), "studies": rows}


@dataclass(frozen=True)
class ParamRange:
    name: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class TrialQuery:
    """Which trials a table page shows: states, parameter and value ranges, the sort (a key of
    :data:`SORT_KEYS` or ``param:NAME``), and the page (0-based) of ``size`` rows."""

    states: frozenset[str] = frozenset()
    ranges: tuple[ParamRange, ...] = ()
    value_min: float | None = None
    value_max: float | None = None
    sort: str = "number"
    descending: bool = False
    page: int = 0
    size: int = 50


def _in(v: Any, low: float | None, high: float | None) -> bool:
    # inf and -inf are values (Optuna's, a trial's own): within any range they are beyond.
    if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v):
        return False
    return (low is None or v >= low) and (high is None or v <= high)


def _matches(t: FrozenTrial, q: TrialQuery) -> bool:
    if q.states and t.state.value not in q.states:
        return False
    if (q.value_min is not None or q.value_max is not None) and not _in(t.value, q.value_min, q.value_max):
        return False
    return all(_in(t.params.get(r.name), r.low, r.high) for r in q.ranges)


def missing_last(v: Any) -> tuple[int, tuple[Any, ...]]:
    """A cell's place in a sorted column: ``(1, ())`` when missing (None, NaN), sorted after
    the rest whichever the order; else ``(0, key)``, inf and -inf as the numbers they are (a
    trial valued -inf is the best of a minimized study, as in Optuna). A categorical column may
    mix kinds (``[None, 1, "a", 2.5, True]``), and Python cannot compare 1 with "a": numbers
    (bools apart) come first by value, then every other kind grouped by its type's name and
    ordered by its text, so any mix sorts, and always the same way."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return (1, ())
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, (0, "", v, ""))
    return (0, (1, type(v).__name__, 0.0, str(v)))


def _sort_key(sort: str) -> Any:
    if sort.startswith("param:"):
        name = sort[len("param:"):]
        return lambda t: (missing_last(t.params.get(name)), t.number)
    getters = {"number": lambda t: t.number, "value": lambda t: t.value, "state": lambda t: t.state.value,
               "epochs": lambda t: t.epochs, "duration": lambda t: t.duration,
               "start": lambda t: t.datetime_start.timestamp() if t.datetime_start else None}
    get = getters[sort]
    return lambda t: (missing_last(get(t)), t.number)


def trial_row(t: FrozenTrial) -> dict[str, Any]:
    """A trial's row of the table: ``value`` is the first objective's, ``values`` every
    objective's (one for a study of one objective; None without a value)."""
    values = None if t.values is None else [_finite(v) for v in t.values]
    return {"number": t.number, "state": t.state.value, "value": _finite(t.value), "values": values,
            "epochs": t.epochs, "duration": t.duration, "start": iso(t.datetime_start),
            "end": iso(t.datetime_complete), "params": t.params, "scheduler": scheduler_info(t), "error": t.error}


def query_trials(trials: Sequence[FrozenTrial], q: TrialQuery) -> dict[str, Any]:
    """One page of the trial table: ``{"rows", "total" (matching), "n_trials", "page", "size",
    "pages", "params" (every parameter name), "scheduler_columns"}``. Missing values sort last
    whichever the order."""
    filtered = q.states or q.ranges or q.value_min is not None or q.value_max is not None
    matching = [t for t in trials if _matches(t, q)] if filtered else trials
    if q.sort == "number":  # never missing: no keys to build (the live table's usual order)
        ordered = sorted(matching, key=attrgetter("number"), reverse=q.descending)
    else:
        key = _sort_key(q.sort)
        keyed = [(key(t), t) for t in matching]
        present = [kt for kt in keyed if kt[0][0][0] == 0]
        present.sort(key=lambda kt: kt[0], reverse=q.descending)
        ordered = [t for _, t in present] + [t for k, t in keyed if k[0][0] == 1]  # missing last, by number
    start = q.page * q.size
    # Trials share a few parameter lists: their names in first-seen order, from those lists.
    names = list(dict.fromkeys(name for keys in dict.fromkeys(tuple(t.params) for t in trials) for name in keys))
    columns: list[str] = []
    for t in trials:
        if t.user_attrs or t.system_attrs:
            for label in scheduler_info(t):
                if label not in columns:
                    columns.append(label)
    return {"rows": [trial_row(t) for t in ordered[start:start + q.size]], "total": len(ordered),
            "n_trials": len(trials), "page": q.page, "size": q.size,
            "pages": max(1, math.ceil(len(ordered) / q.size)), "params": names, "scheduler_columns": columns}


def trial_detail(trial: FrozenTrial, *, metric: str, direction: str, study_best: float | None) -> dict[str, Any]:
    """One trial in full: its row, learning curves (train and validation loss and metric,
    learning rate, per-layer statistics), intermediate values, and its diagnosis with advice."""
    from nntune.diagnose_findings import no_finding_words

    steps = sorted(trial.intermediate_values)
    findings = diagnose(trial, study_best=study_best, direction=direction, metric=metric)
    return {**trial_row(trial), "metric": metric, "curve": curve_of(trial, metric),
            "intermediate": {"steps": steps, "values": [trial.intermediate_values[s] for s in steps]},
            "user_attrs": attr_texts(trial.user_attrs), "findings": [f.to_json() for f in findings],
            "no_finding": f"No finding: {no_finding_words(len(steps))}.",  # what the page says without one
            "prediction": trial.system_attrs.get("curve")}  # scheduler ``curve``: the last extrapolation


def stages_data(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any], direction: str) -> list[dict[str, Any]]:
    """Coarse-to-fine stages (when the study records its sampler's settings under
    ``coarse_to_fine``): each stage's first trial, the trials it narrowed around, its ranges,
    and how many trials it has run with their best value (an infinite one as the text ``"inf"``
    or ``"-inf"``, as the dashboard's rows carry it: strict JSON would write it as no value)."""
    conf = attrs.get("coarse_to_fine")
    if not isinstance(conf, Mapping) or not trials:
        return []
    from nntune.samplers import CoarseToFineSampler

    sampler = CoarseToFineSampler(**{k: conf[k] for k in ("seed", "stages", "trials_per_stage", "top_k", "margin")
                                     if k in conf})
    out = []
    for stage in sampler.stages_for(study_space(trials, attrs), trials, direction):
        members = [t for t in trials if sampler.stage_of(t.number) == stage["stage"]]
        best = best_of(rank(members, direction))
        out.append({**stage, "n_trials": len(members),
                    "best": None if best is None else {"number": best.number, "value": infinite_text(best.value)}})
    return out


def compare_data(studies: Sequence[tuple[Any, Sequence[FrozenTrial]]]) -> list[dict[str, Any]]:
    """Several studies' optimization histories, for one plot: ``[{name, direction, history}]``."""
    return [{"name": rec.name, "direction": rec.direction, "history": history_data(trials, rec.direction)}
            for rec, trials in studies]


OPTUNA_STATE = {TrialState.FAILED: "FAIL"}


def objective_columns(t: FrozenTrial, n_objectives: int, metric_names: Sequence[str] | None, *,
                      infinite: bool = False) -> dict[str, Any]:
    """A trial's objective columns named as ``Study.trials_dataframe`` names them (one rule,
    :func:`nntune._frame.trial_row`): ``value``, ``value_NAME`` for one named objective,
    ``values_0``, ``values_1``... or ``values_NAME`` for several; a non-finite value empty
    (strict JSON has no inf), unless ``infinite`` keeps an infinite one (a table's cell)."""
    from nntune._frame import trial_row as frame_row

    cells = frame_row(t, ("value",), n_objectives, metric_names)
    keep = (lambda v: None if v is None or math.isnan(v) else float(v)) if infinite else _finite
    return {f"{attr}_{key}" if key else attr: keep(v) for (attr, key), v in cells.items()}


def export_rows(trials: Sequence[FrozenTrial], *, n_objectives: int = 1,
                metric_names: Sequence[str] | None = None, infinite: bool = False) -> list[dict[str, Any]]:
    """One row per trial with Optuna's ``trials_dataframe`` columns: number, value (every
    objective of a study of ``n_objectives``, named as there), datetime_start,
    datetime_complete, duration (seconds), params_*, user_attrs_*, state. An infinite value
    (a trial that returned inf) is kept with ``infinite`` (csv, parquet), else empty (JSON)."""
    names = list(metric_names) if metric_names and len(metric_names) == n_objectives else None
    params = sorted({k for t in trials for k in t.params})
    users = sorted({k for t in trials for k in t.user_attrs})
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, **objective_columns(t, n_objectives, names, infinite=infinite),
                               "datetime_start": iso(t.datetime_start),
                               "datetime_complete": iso(t.datetime_complete), "duration": t.duration}
        row.update({f"params_{k}": t.params.get(k) for k in params})
        row.update({f"user_attrs_{k}": _scalar(t.user_attrs.get(k)) for k in users})
        row["state"] = OPTUNA_STATE.get(t.state, t.state.name)
        rows.append(row)
    return rows


def _scalar(v: Any) -> Any:
    """A cell value: scalars as they are, lists and mappings as their (strict) JSON text."""
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return dumps(v)
