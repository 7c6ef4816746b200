"""The report's content as plain data (dicts, lists, numbers), read from storage in bulk.

:func:`build_report_data` makes one dict with a key per section; ``report.html`` only
draws it. Large studies stay fast: all trials are read in one bulk query without their
per-epoch records, the full records are read only for the few top trials, and every plot
gets at most a few hundred curves or a few thousand points, the rest summarized.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nntune.analysis import (best_region, complete_trials, history, param_importance, param_points, study_space,
                             thin)
from nntune.control import changes_by_trial
from nntune.diagnose import diagnose, infer_metric, metric_best
from nntune.ensemble import is_ensemble_look
from nntune.noise import split_warning, standard_error
from nntune.priorities import priority_rows
from nntune.report.population import population_data
from nntune.report.study_data import (PBT_MARKS, activity_text, infinite_count, lineage_data, look_time,
                                      memory_data, sealed_split, split_line, state_counts, study_front)
from nntune.samplers import is_feasible
from nntune.show import open_study, study_metric
from nntune.space import Beta, Choice, Space
from nntune.storage import Storage, redact_url
from nntune.terminator._terminator import reading_data
from nntune.trial import FrozenTrial, TrialState, best_trial, constraint_values
from nntune.trial import ranked as trial_ranked  # the one ranking rule (local names "ranked" are its results)

TOP_TRIALS = 5  # learning curves and diagnoses are shown for this many best trials
MAX_CURVES = 200  # intermediate-value curves drawn; the rest appear in the quantile band
MAX_POINTS = 2000  # points per scatter (history, slices)
MAX_LINES = 1000  # lines in the parallel-coordinates plot
MAX_PREDICTIONS = 6  # stored learning-curve predictions drawn (scheduler ``curve``)
TABLE_ROWS = 50  # rows of the trials table
ERROR_CHARS = 160  # a trial's error is cut to this many characters in the trials table
FAILED_ROWS = 10  # failed or diverged trials the trials table always lists, with their errors
BAND_QUANTILES = (0.1, 0.5, 0.9)
# Scheduler information a trial may carry (system or user attributes), as table columns.
SCHEDULER_KEYS = {"bracket": "bracket", "rung": "rung", "rung_step": "rung step", "parent": "parent",
                  "pbt_parent": "parent", "parent_step": "parent step", "pbt_parent_step": "parent step"}


def rank(trials: Sequence[FrozenTrial], direction: str) -> list[FrozenTrial]:
    """The leaderboard of the report, ``show`` and the dashboard: complete and pruned trials
    with a value, in the one order every leaderboard shares (:func:`nntune.trial.ranked`:
    by value, inf and -inf as Optuna orders them, so ``study.best_trial`` heads it; at equal
    value complete before pruned, then the lower validation loss, fewer epochs, the lower
    number). A pruned trial whose value where it stopped beats a complete one ranks above
    it, as the README states; the best trial is the first complete one that meets the
    constraints (:func:`best_of`). Trials that break the study's constraints come after
    every feasible one, ranked the same way among themselves, as the samplers and a study
    of several objectives rank them: a "best first" table never opens with trials that
    cannot be the best."""
    scored = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]  # ranked drops NaN
    return feasible_first(trial_ranked(scored, direction))  # type: ignore[arg-type]


def feasible_first(ranked: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """``ranked`` with the trials that break a constraint moved after all others (a stable split)."""
    return [*(t for t in ranked if is_feasible(t)), *(t for t in ranked if not is_feasible(t))]


def objectives_rank(trials: Sequence[FrozenTrial], direction: str, directions: Any) -> list[FrozenTrial]:
    """:func:`rank`'s trials; for several objectives (``directions`` a list of two or more)
    in ``show``'s order (:func:`nntune.show.pareto_ranked`: feasible fronts first, trials
    that break a constraint after them), not by the first objective alone."""
    ranked = rank(trials, direction)
    if not (isinstance(directions, list) and len(directions) > 1):
        return ranked
    from nntune.show import pareto_ranked  # show reads the report's data: imported here

    kept = {t.number for t in ranked}
    return [t for t in pareto_ranked(list(ranked), [str(d) for d in directions]) if t.number in kept]


def best_of(leaderboard: Sequence[FrozenTrial]) -> FrozenTrial | None:
    """The best trial of a ranking: its first complete trial that meets the study's
    constraints, as :func:`nntune.trial.best_trial` on the feasible trials chooses."""
    return next((t for t in leaderboard if t.state == TrialState.COMPLETE and is_feasible(t)), None)


def summary_data(rec: Any, storage_url: str, trials: Sequence[FrozenTrial], metric: str) -> dict[str, Any]:
    best = best_trial([t for t in trials if is_feasible(t)], rec.direction)  # study.best_trial's: inf counts
    return {"study": rec.name, "storage": redact_url(storage_url), "direction": rec.direction,
            "metric": metric, "n_trials": len(trials), "counts": state_counts(trials),
            "activity": activity_text(trials), "n_infinite": infinite_count(trials),
            "best": None if best is None else {"number": best.number, "value": best.value, "params": best.params},
            "memory": memory_data(trials, rec.attrs), "terminator": reading_data(rec.attrs.get("terminator")),
            "population": population_data(rec.attrs.get("population"), rec.attrs.get("population_block")),
            "user_attrs": dict(rec.attrs.get("user_attrs") or {})}


def history_data(trials: Sequence[FrozenTrial], direction: str) -> dict[str, Any]:
    """Every complete trial's value and every pruned trial's value where it stopped (each
    thinned to MAX_POINTS for the scatter), whether each complete one met the study's
    constraints (``feasible``), those that broke them again apart, and the best complete
    feasible value so far at each improvement (a step line, exact)."""
    h = history(trials, direction)  # type: ignore[arg-type]
    steps = [(n, b) for i, (n, b) in enumerate(zip(h["number"], h["best"])) if i == 0 or b != h["best"][i - 1]]
    if h["number"]:
        steps.append((h["number"][-1], h["best"][-1]))
    met = {t.number: is_feasible(t) for t in complete_trials(trials)}
    pts = thin([(n, v, met[n]) for n, v in zip(h["number"], h["value"])], MAX_POINTS)
    pruned = thin([(t.number, float(t.value)) for t in trials if t.state == TrialState.PRUNED  # type: ignore[arg-type]
                   and t.value is not None and math.isfinite(t.value)], MAX_POINTS)
    # Complete trials that broke a constraint: Optuna's history draws them in a grey trace of their own.
    broke = [t for t in complete_trials(trials) if not is_feasible(t)]
    infeasible = thin([(t.number, float(t.value)) for t in broke], MAX_POINTS)  # type: ignore[arg-type]
    return {"number": [p[0] for p in pts], "value": [p[1] for p in pts], "feasible": [p[2] for p in pts],
            "pruned_number": [p[0] for p in pruned], "pruned_value": [p[1] for p in pruned],
            "infeasible_number": [p[0] for p in infeasible], "infeasible_value": [p[1] for p in infeasible],
            "best_number": [s[0] for s in steps], "best_value": [s[1] for s in steps],
            "n_complete": len(h["number"]), "n_trials": len(trials)}


def curve_of(trial: FrozenTrial, metric: str) -> dict[str, Any]:
    """Train and validation loss and metric per epoch, from a trial's records. A study of
    the validation loss draws the loss in its own panel, so its ``metric`` panel shows the
    metric the records pair with it (``accuracy``), named by the curve's ``metric``."""
    recs = sorted(trial.metrics, key=lambda r: r.get("step", r.get("epoch", 0)))
    shown = (infer_metric(recs) or metric) if metric == "loss" else metric
    def col(key: str) -> list[float | None]:
        return [_num(r.get(key)) for r in recs]
    return {"number": trial.number, "state": trial.state.value, "value": trial.value, "metric": shown,
            "epoch": [r.get("epoch", r.get("step")) for r in recs],
            "train_loss": col("train_loss"), "val_loss": col("val_loss"),
            "train_metric": col(f"train_{shown}"), "val_metric": col(f"val_{shown}"),
            "lr": col("lr"), "layers": layer_series(recs)}


def layer_series(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, list[float | None]]]:
    """Per layer, its gradient norm and activation std per epoch."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for i, rec in enumerate(records):
        for layer in rec.get("layers") or []:
            row = out.setdefault(str(layer.get("name")), {"grad_norm": [None] * len(records),
                                                          "act_std": [None] * len(records)})
            row["grad_norm"][i] = _num(layer.get("grad_norm"))
            row["act_std"][i] = _num(layer.get("act_std"))
    return out


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def intermediate_data(trials: Sequence[FrozenTrial], ranked: Sequence[FrozenTrial]) -> dict[str, Any]:
    """Up to MAX_CURVES curves (the best quarter of them by rank, the rest evenly spaced by
    number, pruned trials marked, and whether each trial met the study's constraints:
    ``feasible``, as Optuna's plot greys those that broke them) and the 10/50/90% quantiles
    per step over all trials."""
    with_values = [t for t in trials if t.intermediate_values]
    best = [t.number for t in ranked[:MAX_CURVES // 4] if t.intermediate_values]
    taken = set(best)
    rest = thin([t.number for t in with_values if t.number not in taken], MAX_CURVES - len(best))
    chosen = set(best) | set(rest)
    curves = []
    for t in with_values:
        if t.number in chosen:
            steps = sorted(t.intermediate_values)
            curves.append({"number": t.number, "state": t.state.value, "steps": steps,
                           "values": [t.intermediate_values[s] for s in steps], "feasible": is_feasible(t)})
    by_step: dict[int, list[float]] = {}
    for t in with_values:
        for s, v in t.intermediate_values.items():
            if v is not None and math.isfinite(v):
                by_step.setdefault(int(s), []).append(float(v))
    steps = sorted(by_step)
    quantiles = {f"q{int(q * 100)}": [float(np.quantile(by_step[s], q)) for s in steps] for q in BAND_QUANTILES}
    return {"curves": curves, "band_steps": steps, "band": quantiles, "band_counts": [len(by_step[s]) for s in steps],
            "n_trials": len(with_values), "n_shown": len(curves),
            "n_pruned": sum(t.state == TrialState.PRUNED for t in with_values),
            "predictions": prediction_data(trials, ranked)}


def _prediction(trial: FrozenTrial) -> Mapping[str, Any] | None:
    rec = trial.system_attrs.get("curve")
    return rec if isinstance(rec, Mapping) and rec.get("steps") and rec.get("mean") else None


def prediction_data(trials: Sequence[FrozenTrial], ranked: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    """The last stored learning-curve prediction (scheduler ``curve``) of the best-ranked
    trials and of the latest stopped ones, MAX_PREDICTIONS in all: the predicted mean from
    the epoch it was made at to the horizon, and a band of one standard deviation."""
    chosen = [t for t in ranked if _prediction(t)][:MAX_PREDICTIONS // 2]
    seen = {t.number for t in chosen}
    stopped = [t for t in sorted(trials, key=lambda t: -t.number)
               if t.state == TrialState.PRUNED and t.number not in seen and _prediction(t)]
    out = []
    for t in [*chosen, *stopped][:MAX_PREDICTIONS]:
        rec = _prediction(t)
        assert rec is not None
        step = int(rec["step"])
        out.append({"number": t.number, "state": t.state.value, "step": step,
                    "value": _num(t.intermediate_values.get(step)), "steps": list(rec["steps"]),
                    "mean": list(rec["mean"]), "low": list(rec["low"]), "high": list(rec["high"]),
                    "p_beat": _num(rec.get("p_beat"))})
    return out


def parallel_data(trials: Sequence[FrozenTrial], space: Space) -> dict[str, Any]:
    """Columns of the parallel-coordinates plot for up to MAX_LINES complete trials: numeric
    parameters as values (log10 of log-scaled ones, log10 of 1 - b for a Beta b), choices as
    indices, then the value."""
    done = thin(complete_trials(trials), MAX_LINES)
    dims = []
    for name, dist in space.params.items():
        used = [t for t in done if name in t.params]
        if not used:
            continue
        if isinstance(dist, Choice):
            labels = [str(v) for v in dist.values]
            # None where a trial lacks the parameter (a conditional one) or holds a value off the list
            vals = [float(dist.index(t.params[name])) if name in t.params and dist.contains(t.params[name]) else None
                    for t in done]
            dims.append({"name": name, "values": vals, "ticktext": labels, "scale": "categorical"})
        elif isinstance(dist, Beta):  # by decades of 1 - beta, as it is searched: 0.9, 0.99, 0.999 evenly apart
            vals = [_log_or_plain(1 - v if isinstance(v, (int, float)) and not isinstance(v, bool) else None, True)
                    for v in (t.params.get(name) for t in done)]
            dims.append({"name": f"log10(1 - {name})", "values": vals, "scale": "log", "reversed": True})
        else:
            log = bool(getattr(dist, "log", False))
            vals = [_log_or_plain(t.params.get(name), log) for t in done]
            dims.append({"name": f"log10 {name}" if log else name, "values": vals, "scale": "log" if log else "linear"})
    values = [float(t.value) for t in done]  # type: ignore[arg-type]
    return {"dimensions": dims, "value": values, "number": [t.number for t in done],
            "feasible": line_feasibility(done), "n_complete": len(complete_trials(trials))}


def line_feasibility(done: Sequence[FrozenTrial]) -> list[bool] | None:
    """Whether each line met the study's constraints, by Optuna's parallel-coordinate rule:
    None while no trial carries constraint values (the plot is drawn as without any), else a
    trial without them counts as infeasible."""
    held = [bool(constraint_values(t.system_attrs)) for t in done]
    return [h and is_feasible(t) for h, t in zip(held, done)] if any(held) else None


def _log_or_plain(v: Any, log: bool) -> float | None:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    return math.log10(v) if log and v > 0 else float(v)


def slices_data(trials: Sequence[FrozenTrial], space: Space) -> list[dict[str, Any]]:
    """One slice per parameter: its values against the objective, complete and pruned
    trials (thinned to MAX_POINTS), and whether each met the study's constraints
    (``feasible``: a complete trial that broke them is drawn apart, as Optuna's slice
    draws it). A choice's values are given as the text of its ``categories`` (a ``None``
    choice as "None", never a JSON null a plot would drop)."""
    met = {t.number: is_feasible(t) for t in trials}
    out = []
    for name, pts in param_points(trials, space, include_pruned=True).items():
        dist = space.params[name]
        xs = [str(v) for v in pts["x"]] if isinstance(dist, Choice) else pts["x"]
        rows = thin(list(zip(xs, pts["value"], pts["number"], pts["state"])), MAX_POINTS)
        out.append({"name": name, "x": [r[0] for r in rows], "value": [r[1] for r in rows],
                    "number": [r[2] for r in rows], "pruned": [r[3] == "pruned" for r in rows],
                    "feasible": [met[r[2]] for r in rows],
                    "log": bool(getattr(dist, "log", False)), "beta": isinstance(dist, Beta),
                    "categorical": isinstance(dist, Choice),
                    "categories": [str(v) for v in dist.values] if isinstance(dist, Choice) else None})
    return out


def test_data(evaluations: Sequence[Mapping[str, Any]], sealed: bool = True,
              positive: int | None = None) -> dict[str, Any]:
    """Every look at the test split (trial, time, scalar metrics), the latest look's
    confusion matrix or residuals, the class its binary scores are of (``positive_class``,
    :func:`positive_class`), and the sentence saying how often it was opened (or, for a
    study nntune did not train, that it has no sealed split: ``sealed`` False)."""
    looks = len(evaluations)
    rows = []
    for e in evaluations:
        m = e.get("metrics", {})
        rows.append({"trial": e.get("trial"), "time": look_time(e.get("time")),
                     "metrics": {k: v for k, v in m.items()
                                 if isinstance(v, (int, float)) and not isinstance(v, bool)}})
    # The matrix or residuals of the latest look at one trial: an ensemble's look keeps neither.
    last = next((e.get("metrics", {}) for e in reversed(evaluations) if not is_ensemble_look(e)), {})
    line = split_line("this study", looks, sealed)
    return {"looks": looks, "sealed": sealed, "statement": f"{line[0].upper()}{line[1:]}.",
            "evaluations": rows, "confusion_matrix": last.get("confusion_matrix"), "classes": last.get("classes"),
            "residuals": residuals_of(last.get("residuals")), "positive_class": positive_name(last, positive)}


def positive_name(metrics: Mapping[str, Any], positive: int | None) -> str | None:
    """The class a look's precision, recall, f1 and specificity are of, as ``nntune tune``
    names it: class 1 of two, or ``task.positive_class``; None where they are macro
    averages (no true-positive count was stored) or no class names were."""
    classes = metrics.get("classes")
    if "tp" not in metrics or not isinstance(classes, list):
        return None
    index = 1 if positive is None else positive
    return str(classes[index]) if 0 <= index < len(classes) else str(index)


def positive_class(attrs: Mapping[str, Any]) -> int | None:
    """The stored config's ``task.positive_class`` (None where it names none)."""
    config = attrs.get("config")
    task = config.get("task") if isinstance(config, Mapping) else None
    value = task.get("positive_class") if isinstance(task, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def residuals_of(raw: Any) -> dict[str, list[float]] | None:
    """``{"predicted", "actual"}`` lists (at most MAX_POINTS pairs) from a test evaluation's
    ``residuals`` entry, or None without one."""
    if not isinstance(raw, Mapping) or not all(isinstance(raw.get(k), list) for k in ("predicted", "actual")):
        return None
    pairs = thin([(float(p), float(a)) for p, a in zip(raw["predicted"], raw["actual"])], MAX_POINTS)
    return {"predicted": [p for p, _ in pairs], "actual": [a for _, a in pairs]}


def scheduler_info(trial: FrozenTrial) -> dict[str, Any]:
    """Where a scheduler left the trial: its bracket, rung and rung step (which a study stores
    under ``system_attrs["scheduler"]`` as each trial ends), and its PBT parent."""
    described = trial.system_attrs.get("scheduler")
    # Of the user attributes only PBT's marks: an objective's own ``rung`` or ``parent`` is no scheduler's.
    marks = {k: v for k, v in trial.user_attrs.items() if k in PBT_MARKS}
    attrs = {**marks, **trial.system_attrs, **(described if isinstance(described, Mapping) else {})}
    return {label: attrs[key] for key, label in SCHEDULER_KEYS.items() if key in attrs}


def trials_table(trials: Sequence[FrozenTrial], ranked: Sequence[FrozenTrial]) -> dict[str, Any]:
    """The top TABLE_ROWS trials (ranked), then the first FAILED_ROWS failed or diverged
    ones (their errors are shown nowhere else), then the rest by number up to TABLE_ROWS
    rows, with scheduler columns (rung, bracket, PBT parent) when any trial carries them, and
    each row's user attributes (``trial.set_user_attr``'s)."""
    top = list(ranked[:TABLE_ROWS])
    seen = {t.number for t in top}
    ended_badly = [t for t in trials if t.state in (TrialState.FAILED, TrialState.DIVERGED)
                   and t.number not in seen][:FAILED_ROWS]
    seen |= {t.number for t in ended_badly}
    rest = [t for t in trials if t.number not in seen][:max(0, TABLE_ROWS - len(seen))]
    rows_src = top + ended_badly + rest
    columns = list(dict.fromkeys(label for t in trials for label in scheduler_info(t)))  # as first met
    rows = [{"number": t.number, "state": t.state.value, "value": t.value, "values": t.values, "epochs": t.epochs,
             "params": t.params, "scheduler": scheduler_info(t), "feasible": is_feasible(t),
             "error": short_error(t.error), "user_attrs": dict(t.user_attrs)} for t in rows_src]
    return {"rows": rows, "scheduler_columns": columns, "n_trials": len(trials)}


def short_error(error: str | None, limit: int = ERROR_CHARS) -> str | None:
    """A failed or diverged trial's error on one line of at most ``limit`` characters: what
    went wrong fits a table cell, its first words (the exception's name) kept."""
    if not error:
        return None
    line = " ".join(error.split())
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def build_report_data(storage: str | Storage, study_name: str, *, top_k: int = TOP_TRIALS,
                      seed: int = 0) -> dict[str, Any]:
    """Everything the report shows, as plain data; ``seed`` drives the importance forest."""
    store, rec = open_study(storage, study_name)
    return study_sections(store, rec, store.get_trials(rec.id), top_k=top_k, seed=seed)


def study_sections(store: Storage, rec: Any, trials: Sequence[FrozenTrial], *, top_k: int = TOP_TRIALS,
                   seed: int = 0) -> dict[str, Any]:
    """The report's sections from trials already read (bulk, without per-epoch records):
    the report reads them once, the dashboard keeps them up to date between calls."""
    ranked = objectives_rank(trials, rec.direction, rec.attrs.get("directions"))
    top = [store.get_trial(rec.id, t.number, with_metrics=True) for t in ranked[:top_k]]
    metric = study_metric(top, rec.attrs)
    space = study_space(trials, rec.attrs)
    best = best_of([t for t in ranked if math.isfinite(t.value)])  # type: ignore[arg-type]
    # The diagnosis reads the metric's curves: in its own direction, against its own finite best.
    direction, best_value = metric_best(rec.attrs, rec.direction, metric, [t for t in trials if is_feasible(t)],
                                        None if best is None else best.value)
    importance = param_importance(trials, space, seed=seed)
    n_val = rec.attrs.get("n_val") if isinstance(rec.attrs.get("n_val"), int) else None
    changes = changes_by_trial(store, rec.id)
    evaluations = store.get_test_evaluations(rec.id)
    # ``epochs`` 0: the trial reported no curve, so a diagnosis has nothing to read.
    diagnoses = [{"number": t.number, "state": t.state.value, "value": t.value, "epochs": t.epochs,
                  "findings": [f.to_json() for f in diagnose(t, study_best=best_value, direction=direction,
                                                                 metric=metric)]} for t in top]
    return {
        "summary": summary_data(rec, store.url, trials, metric),
        "history": history_data(trials, rec.direction),
        "learning_curves": [{**curve_of(t, metric), "changes": changes.get(t.number, [])} for t in top if t.metrics],
        "intermediate": intermediate_data(trials, ranked),
        "parallel": parallel_data(trials, space),
        "slices": slices_data(trials, space),
        "importance": importance,
        "priorities": priority_rows(importance["importance"]),
        "best_region": best_region(trials, space, rec.direction, top_k=10),
        "test": test_data(evaluations, sealed=sealed_split(rec.attrs), positive=positive_class(rec.attrs)),
        "pareto": study_front(rec.attrs, trials, evaluations),  # None for one objective
        "lineage": lineage_data(trials, rec.attrs),  # PBT members and forks: whom each continued
        "diagnosis": diagnoses,
        "trials": with_std_errors(trials_table(trials, ranked), metric, n_val),
        # The two best complete feasible trials, as show compares (a pruned one between them is skipped).
        "split_warning": split_warning(metric, [float(t.value) for t in ranked if t.value is not None
                                                and t.state == TrialState.COMPLETE and is_feasible(t)][:2], n_val),
    }


def with_std_errors(table: dict[str, Any], metric: str, n_val: int | None) -> dict[str, Any]:
    """The trials table with each value's standard error on the validation split (None
    where the metric has no closed form or the split's size is not stored)."""
    for row in table["rows"]:
        value = row["value"] if row["value"] is not None and math.isfinite(row["value"]) else None
        row["std_error"] = standard_error(metric, value, n_val)
    table["n_val"] = n_val
    return table
