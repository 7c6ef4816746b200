"""``nntune show``: a stored study's leaderboard with each trial's diagnosis.

:func:`show_data` reads the study in two bulk queries and returns plain data (the
``--json`` output); :func:`render_show` prints it as rich tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nntune._json import infinite_text, plain, text_number
from nntune._lineage import continued_from
from nntune._show_tables import _errors_table, _fmt, board_table, render_front, render_priorities
from nntune.cli_text import schedule_text
from nntune.control import changes_by_trial
from nntune.diagnose import diagnose_trials, infer_metric, metric_objective
from nntune.noise import split_warning, standard_error
from nntune.priorities import priority_rows
from nntune.samplers import is_feasible
from nntune.storage import Storage, StudyNotFoundError, existing_storage, redact_url
from nntune.terminator._terminator import reading_data
from nntune.trial import FrozenTrial, TrialState, ranked, validation_loss

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def open_study(storage: str | Storage, study_name: str) -> tuple[Storage, Any]:
    """The storage and the study's record; :class:`StudyNotFoundError` when it is missing
    (a missing SQLite file is a ConfigError: reading creates nothing)."""
    store = existing_storage(storage)
    rec = store.load_study(study_name)
    if rec is None:
        raise StudyNotFoundError(f"no study named {study_name!r} in {redact_url(store.url)}: "
                                 f"{held_studies([r.name for r in store.list_studies()])}")
    return store, rec


def held_studies(names: list[str], limit: int = 10) -> str:
    """The studies a storage holds, for the line that says the asked one is not there (a
    command run without ``--study`` asks for the default name, not the user's study)."""
    if not names:
        return "it holds no study"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"it holds: {', '.join(names[:limit])}{more} (--study NAME)"


def study_metric(trials: list[FrozenTrial], attrs: Mapping[str, Any]) -> str:
    """The validation metric the trials report (``val_<metric>`` in their records): the
    one that holds their reported value, else the first a record pairs with a training one."""
    if isinstance(attrs.get("metric"), str):
        return str(attrs["metric"])
    from nntune.report.study_data import reported_metric

    reported = reported_metric(trials)
    if reported is not None:
        return reported
    for t in trials:
        if t.metrics:
            found = infer_metric(t.metrics)
            if found:
                return found
    return "value"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def show_data(storage: str | Storage, study_name: str) -> dict[str, Any]:
    """``{"study", "direction", "directions", "metric", "counts", "best", "test_evaluations", "trials":
    [{"number", "state", "value", "params", "epochs", "findings", "diagnosis", "error",
    "val_loss", "schedule", "continued_from"}]}``; ``schedule`` says where a scheduler left the
    trial (bracket and rung, or the PBT member it was copied from), empty where none did;
    ``continued_from`` is ``{"trial", "epoch"}`` whose weights a fork, a resume or a PBT copy
    started from (its curve and epochs up to there are that trial's), else None.

    ``population``: the population executor's figures, with a ``text`` line (how many
    members a stack held and why, how full its slots were), else None. ``findings`` lists
    the kinds of each trial's findings; ``diagnosis`` holds them in full (severity,
    evidence, advice); ``error`` is a failed or diverged trial's error (else
    ``None``). Trials are in number order. ``counts`` has every state, ``running`` and
    ``waiting`` included, and ``activity`` says which trials are in flight (else None).
    ``best`` is None for several objectives (as Optuna's ``best_trial``): ``front`` holds them.
    Plain JSON data: a non-finite number anywhere (a diagnosis's evidence) is None, so
    ``--json`` is strict JSON; a trial's ``value`` and ``values`` of inf or -inf (a value,
    as in Optuna, ranked on the leaderboard) are the text ``"inf"`` and ``"-inf"``.
    """
    store, rec = open_study(storage, study_name)
    trials = store.get_trials(rec.id, with_metrics=True)
    metric = study_metric(trials, rec.attrs)
    direction, objective = metric_objective(rec.attrs, rec.direction, metric)
    findings = diagnose_trials(trials, direction, metric if metric != "value" else None, objective=objective)
    # The best among trials that meet the study's constraints (all trials, without any).
    best = ranked([t for t in trials if t.state.value == "complete" and is_feasible(t)], rec.direction)  # type: ignore[arg-type]
    n_val = rec.attrs.get("n_val") if isinstance(rec.attrs.get("n_val"), int) else None
    changes = changes_by_trial(store, rec.id)
    directions = _directions(rec.attrs)
    fronts = pareto_ranks(trials, directions) if directions else {}
    rows = []
    for t in trials:
        found = findings.get(t.number, [])
        # An infinite value is text ("-inf"): the leaderboard ranks it, --json stays strict JSON.
        row = {"number": t.number, "state": t.state.value, "value": infinite_text(t.value), "params": t.params,
               "std_error": standard_error(metric, _finite(t.value), n_val),
               "epochs": t.epochs, "findings": [f.kind for f in found],
               "diagnosis": [f.to_json() for f in found], "changes": changes.get(t.number, []),
               "error": t.error, "val_loss": validation_loss(t), "feasible": is_feasible(t),
               "schedule": schedule_text(t), "continued_from": continued_from(t)}
        if "executions" in t.user_attrs:  # search.executions_per_trial: each seed's value beside their mean
            row["executions"] = t.user_attrs["executions"]
        if directions:  # several objectives: every value, and the trial's non-dominated rank
            row["values"] = None if t.values is None else [infinite_text(v) for v in t.values]
            row["pareto_rank"] = fronts.get(t.number)
        rows.append(row)
    importance = study_importance(trials, rec.attrs)
    evaluations = store.get_test_evaluations(rec.id)
    from nntune.report.study_data import activity_text, memory_data, sealed_split, state_counts
    return plain({
        "study": rec.name,
        "direction": rec.direction,
        "directions": directions or [rec.direction],  # every objective's, as Optuna's study.directions
        "metric": metric,
        "counts": state_counts(trials),
        "activity": activity_text(trials),
        "best": best[0].number if best and not directions else None,  # several objectives: a front, no best
        "test_evaluations": len(evaluations), "sealed": sealed_split(rec.attrs),
        "front": front_rows(rec.attrs, trials, evaluations),
        "n_val": n_val,
        "metric_notes": [str(n) for n in rec.attrs.get("metric_notes", [])],
        "split_warning": split_warning(metric, [float(t.value) for t in best[:2] if t.value is not None], n_val),
        "importance": importance,
        "priorities": priority_rows(importance["importance"]),
        "memory": memory_data(trials, rec.attrs),
        "population": population_data(rec.attrs.get("population"), rec.attrs.get("population_block")),
        "terminator": reading_data(rec.attrs.get("terminator")),
        "trials": rows,
    })


def population_data(stats: Any, block: Any = None) -> dict[str, Any] | None:
    """The population executor's figures with their line (:func:`nntune.report.population.population_data`)."""
    from nntune.report.population import population_data as figures  # the report package reads show

    return figures(stats, block)


def _directions(attrs: Mapping[str, Any]) -> list[str]:
    """The directions of a study of several objectives; empty for one objective."""
    directions = attrs.get("directions")
    return [str(d) for d in directions] if isinstance(directions, list) and len(directions) > 1 else []


def pareto_ranks(trials: list[FrozenTrial], directions: list[str]) -> dict[int, int]:
    """Each complete trial's non-dominated rank by trial number: 1 for the Pareto front, 2
    for the front once that one is set aside, and so on. Feasible trials are ranked among
    themselves first; trials that break the study's constraints come after every feasible
    one, ranked the same way among themselves. Trials without a value per objective have
    no rank; an infinite one is ranked, as on the study's front."""
    from nntune.samplers._nsga import is_scored, minimized, nondominated_fronts

    done = [t for t in trials if is_scored(t, len(directions), infinite=True)]
    ranks: dict[int, int] = {}
    for group in ([t for t in done if is_feasible(t)], [t for t in done if not is_feasible(t)]):
        offset = max(ranks.values(), default=0)
        for index, front in enumerate(nondominated_fronts(minimized(group, directions)), start=1):
            for i in front:
                ranks[group[i].number] = offset + index
    return ranks


def front_rows(attrs: Mapping[str, Any], trials: list[FrozenTrial],
               evaluations: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Several objectives: the Pareto front (the report's own data, without its plot
    points), None for one objective."""
    from nntune.report.study_data import study_front

    front = study_front(attrs, trials, evaluations)
    return None if front is None else {k: v for k, v in front.items() if k != "points"}


def study_importance(trials: list[FrozenTrial], attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters' measured importance (:func:`nntune.analysis.param_importance`)."""
    from nntune.analysis import param_importance, study_space

    return param_importance(trials, study_space(trials, attrs))


def row_trial(row: Mapping[str, Any]) -> FrozenTrial:
    """A row of :func:`show_data` as the trial the ranking rule reads: its number, state,
    value, epochs, and the validation loss :func:`nntune.trial.tie_break` reads (the row's
    ``val_loss`` is that trial's :func:`~nntune.trial.validation_loss`). The rule then
    lives in one place, and the rows rank exactly as the trials they came from."""
    epochs, loss = int(row.get("epochs") or 0), row.get("val_loss")
    value = text_number(row["value"])
    return FrozenTrial(number=int(row["number"]), state=TrialState(row["state"]), value=value,
                       user_attrs={} if loss is None else {"val_loss": loss},
                       # one step at the last epoch: FrozenTrial.epochs reads ``epochs`` back
                       intermediate_values={epochs: value} if epochs else {})


def ranked_rows(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The leaderboard's rows, best first, in the report's and the best trial's order
    (:func:`nntune.report.data.rank`, which is :func:`nntune.trial.ranked`: by value, at
    equal value complete before pruned, then the lower validation loss, fewer epochs, the
    lower number), trials that break a constraint after every feasible one. Several
    objectives: by non-dominated rank (:func:`pareto_ranks`), see :func:`pareto_order`."""
    if data.get("front"):
        return pareto_order(data["trials"], data["front"]["directions"])
    from nntune.report.data import rank

    by_number = {r["number"]: r for r in data["trials"]}
    scored = [row_trial(r) for r in data["trials"] if r["value"] is not None]
    ordered = [by_number[t.number] for t in rank(scored, data["direction"])]
    # The rows' trials carry no constraint values: the split is made on the rows' ``feasible``.
    return [*(r for r in ordered if r.get("feasible", True)), *(r for r in ordered if not r.get("feasible", True))]


def pareto_order(rows: list[Mapping[str, Any]], directions: list[str]) -> list[Mapping[str, Any]]:
    """Rows of a study of several objectives, best first: by non-dominated rank; within a
    rank by the objectives in their order, each toward its own direction (the first
    objective decides, the second breaks its ties, ...), then by trial number. Rows with a
    value but no rank (not complete, or a value missing) follow, by the first objective."""
    sign = [-1.0 if d == "maximize" else 1.0 for d in directions]

    def key(r: Mapping[str, Any]) -> tuple[Any, ...]:
        values = [text_number(v) for v in r.get("values") or [r["value"]]]
        objective = tuple(s * (v if v is not None else math.inf * s) for s, v in zip(sign, values))
        rank = r.get("pareto_rank")
        return (rank is None, rank or 0, objective, r["number"])

    return sorted((r for r in rows if r["value"] is not None), key=key)


def pareto_ranked(trials: list[FrozenTrial], directions: list[str]) -> list[FrozenTrial]:
    """Trials of several objectives in ``show``'s order (:func:`pareto_order` over
    :func:`pareto_ranks`): feasible fronts first, infeasible trials after them."""
    ranks, by_number = pareto_ranks(trials, directions), {t.number: t for t in trials}
    rows = [{"number": t.number, "value": t.value, "pareto_rank": ranks.get(t.number), "values": t.values}
            for t in trials]
    return [by_number[r["number"]] for r in pareto_order(rows, directions)]


def render_show(data: Mapping[str, Any], console: Console, *, top: int = 10) -> None:
    """Print the leaderboard (top ``top`` trials with their findings), which trials are
    running or waiting, the failed and diverged trials with their errors, the diagnoses and
    changes while training of all those trials, the counts by state and how often the test
    split was evaluated."""
    rows = ranked_rows(data)[:top]
    failed = [r for r in data["trials"] if r["state"] in ("failed", "diverged")]
    active = [r for r in data["trials"] if r["state"] in ("running", "waiting")]
    board = board_table(data, rows)
    if board is not None:
        console.print(board)
    else:
        console.print(f"no trial of {data['study']} has a value yet", markup=False, highlight=False)
    if data.get("activity"):
        console.print(data["activity"], markup=False, highlight=False)
    if data.get("split_warning"):
        console.print(f"[yellow]warning:[/] {escape(data['split_warning'])}")
    for note in data.get("metric_notes", []):
        console.print(note, markup=False, highlight=False)
    render_priorities(data.get("priorities", []), console)
    if failed:
        console.print(_errors_table(failed, top))
    # Every trial listed above: a failed or diverged trial's diagnosis (a divergence is a
    # finding) and a running one's changes say most about what went wrong or is going on.
    shown = [*rows, *failed[:top], *active[:top]]
    notes = Table(title="diagnosis of those trials", title_justify="left", show_lines=True)
    for col in ("trial", "finding", "what was seen", "advice"):
        notes.add_column(col)
    # What was seen quotes the trial (``objective returned [nan, 1.0]``, a parameter's name):
    # plain text, never markup, so a bracket in it is printed, not taken for a style.
    for r in shown:
        for f in r.get("diagnosis", []):
            style = SEVERITY_STYLE.get(f["severity"], "")
            notes.add_row(str(r["number"]), Text(f["kind"], style=style), Text(f.get("summary", "")),
                          Text(f["advice"]))
    if notes.row_count:
        console.print(notes)
    elif rows:
        console.print(no_findings_line(rows), markup=False, highlight=False)
    marks = Table(title="changes while training", title_justify="left")
    for col in ("trial", "after epoch", "parameter", "old", "new", "who"):
        marks.add_column(col)
    for r in shown:
        for c in r.get("changes", []):
            marks.add_row(str(r["number"]), str(c["epoch"]), *(Text(t) for t in (c["param"], _fmt(c["old"]),
                                                                                  _fmt(c["new"]), c["who"])))
    if marks.row_count:
        console.print(marks)
    if data.get("front"):
        render_front(data["front"], data["study"], console)
    counts = data.get("counts", {})
    console.print(", ".join(f"{v} {k}" for k, v in counts.items()))
    if data.get("memory"):
        console.print(data["memory"]["text"], markup=False, highlight=False)
    for extra in ("population", "terminator"):
        if data.get(extra):
            console.print(data[extra]["text"], markup=False, highlight=False)
    from nntune.report.study_data import split_line

    console.print(split_line(data["study"], int(data.get("test_evaluations", 0)), bool(data.get("sealed", True))),
                  markup=False)


def no_findings_line(rows: list[Mapping[str, Any]]) -> str:
    """What the leaderboard's trials without findings say: healthy curves; too few epochs
    to read a trend (those that reported fewer than the trend rules need); or, where none
    reported a value per epoch, no curve to read at all."""
    from nntune.diagnose_descent import MIN_EPOCHS_FOR_TREND

    one = len(rows) == 1  # a leaderboard of one trial: "that trial", "its curve"
    those = "that trial" if one else "those trials"
    if not any(r.get("epochs") for r in rows):
        return f"no findings for {those}: {'it' if one else 'they'} reported no curve (no trial.report), so there " \
               "was nothing to diagnose"
    short = [str(r["number"]) for r in rows if 0 < (r.get("epochs") or 0) < MIN_EPOCHS_FOR_TREND]
    if not short:
        return f"no findings for {those}: {'its curve looks' if one else 'their curves look'} healthy"
    few = f"fewer than {MIN_EPOCHS_FOR_TREND} epochs, too few to read a trend"
    if len(short) == sum(1 for r in rows if r.get("epochs")):
        return f"no findings for {those}: {'its curve is' if one else 'their curves are'} too short to read ({few})"
    return (f"no findings for those trials: their curves look healthy, but {'trial' if len(short) == 1 else 'trials'} "
            f"{', '.join(short)} reported {few}")
