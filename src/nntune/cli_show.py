"""``nntune show`` (registered by cli.py): a stored study's leaderboard with the diagnosis
of the trials it lists or, with ``--trial N``, the trials named, wherever they rank: the
leaderboard holds the top ``--top`` alone, and a trial below them (the one a user is
looking at in the report or the dashboard) would have its diagnosis only in ``--json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import typer

from nntune import _json
from nntune.changes import STOP
from nntune.cli_text import console_for
from nntune.exceptions import ConfigError


def show(
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    study: str = typer.Option("digits-mlp", "--study", help="Study name."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    top: int = typer.Option(10, "--top", help="Rows in the leaderboard."),
    trial: Optional[list[int]] = typer.Option(None, "--trial", help="Only trial N, wherever it ranks: its value, "
                                              "rank, parameters, error, diagnosis and changes while training "
                                              "(repeatable); with --json, the object's trials are those."),
) -> None:
    """The leaderboard of a stored study and its trials' diagnoses (--trial N: any trial's)."""
    from nntune.show import board_table, ranked_rows, render_show, show_data

    if top < 1:
        raise ConfigError("--top", f"must be at least 1, got {top}")
    for number in trial or ():
        if number < 0:
            raise ConfigError("--trial", f"must be a trial number >= 0, got {number}")
    data = show_data(storage, study)
    if trial:
        ranks = {r["number"]: i for i, r in enumerate(ranked_rows(data), start=1)}
        rows = with_every_change(storage, study, picked_rows(data, trial))
        if json_out:
            print(_json.dumps({**data, "trials": rows}))
            return
        render_trials(data, rows, ranks)
        return
    if json_out:
        print(_json.dumps(data))
        return
    render_show(data, console_for(board_table(data, ranked_rows(data)[:top])), top=top)


def picked_rows(data: Mapping[str, Any], numbers: list[int]) -> list[Mapping[str, Any]]:
    """The rows of the trials ``numbers`` names, in that order, each once; a number the
    study lacks is refused naming the ones it has."""
    by_number = {r["number"]: r for r in data["trials"]}
    for number in numbers:
        if number not in by_number:
            held = f"its trials are 0 to {max(by_number)}" if by_number else "it has no trial yet"
            raise ConfigError("--trial", f"study {data['study']!r} has no trial {number}; {held}")
    return [by_number[n] for n in dict.fromkeys(numbers)]


def with_every_change(storage: str, study: str, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``rows`` with every change each trial was asked, each with its ``status`` (and
    ``carried_to``), as ``nntune trial changes`` lists them: the leaderboard keeps those a
    trial trained with (its curves' marks); one asked of a trial about this trial alone
    also learns what became of those it never trained with (carried to its continuation,
    dropped, pending)."""
    from nntune.control import change_rows
    from nntune.storage import existing_storage

    store = existing_storage(storage)
    rec = store.load_study(study)
    if rec is None:  # deleted since its leaderboard was read: the changes read nothing
        return rows
    out = []
    for row in rows:
        changes = [{k: c[k] for k in ("epoch", "param", "old", "new", "who", "status", "carried_to")}
                   for c in change_rows(store, rec.id, row["number"]) if c["param"] != STOP]
        out.append({**row, "changes": changes})
    return out


def trial_lines(data: Mapping[str, Any], row: Mapping[str, Any], ranks: Mapping[int, int]) -> list[str]:
    """What a trial is, one line each: its state, value and rank; its parameters; whose
    weights it started from; where a scheduler left it; its error."""
    from nntune._show_tables import _fmt

    metric, number = data["metric"], row["number"]
    head = f"trial {number} of {data['study']}: {row['state']}"
    if not row.get("feasible", True):
        head += ", infeasible (breaks the study's constraints)"
    if row.get("values") is not None and len(row["values"]) > 1:
        head += ", values " + ", ".join(_fmt(v) for v in row["values"])
    elif row["value"] is not None:
        head += f", validation {metric} {_fmt(row['value'])}"
        if row.get("std_error") is not None:
            head += f" ± {row['std_error']:.2g}"
    if row.get("epochs"):
        head += f" after {row['epochs']} epoch{'s' if row['epochs'] != 1 else ''}"
    if number in ranks:
        by = "by Pareto rank" if data.get("front") else "on the leaderboard"
        head += f"; {_ordinal(ranks[number])} of {len(ranks)} {by}"
    else:
        head += "; not ranked (no value)"
    params = " ".join(f"{k}={_fmt(v)}" for k, v in row["params"].items()) or "none"
    lines = [head, f"params: {params}"]
    origin = row.get("continued_from")
    if origin:
        # Its params are what it trained with from there: without this line a continued
        # trial's first epochs read as trained with them, and its parent goes unnamed.
        step = origin["epoch"]
        before = "epoch 1" if step == 1 else f"epochs 1-{step}"
        lines.append(f"started from trial {origin['trial']}'s weights after epoch {step} ({before} trained there, "
                     f"with that trial's settings: nntune show --trial {origin['trial']}); the params are what it "
                     "trained with from there")
    if row.get("schedule"):
        lines.append(f"schedule: {row['schedule']}")
    if row.get("error"):
        lines.append(f"error: {row['error']}")
    return lines


def render_trials(data: Mapping[str, Any], rows: list[Mapping[str, Any]], ranks: Mapping[int, int]) -> None:
    """Print each trial of ``rows``: :func:`trial_lines`, its diagnosis (the findings as the
    leaderboard's table gives them, or why there are none) and its changes while training."""
    from rich.table import Table
    from rich.text import Text

    from nntune._show_tables import _fmt
    from nntune.cli_panda import when_taken
    from nntune.show import SEVERITY_STYLE

    items: list[Any] = []  # lines and tables, printed once the console is as wide as the widest table
    for i, row in enumerate(rows):
        items += [""] * bool(i) + trial_lines(data, row, ranks)
        if row.get("diagnosis"):
            # As the leaderboard's table: what was seen quotes the trial, plain text, never markup.
            notes = Table(title=f"diagnosis of trial {row['number']}", title_justify="left", show_lines=True)
            for col in ("finding", "what was seen", "advice"):
                notes.add_column(col)
            for f in row["diagnosis"]:
                notes.add_row(Text(f["kind"], style=SEVERITY_STYLE.get(f["severity"], "")),
                              Text(f.get("summary", "")), Text(f["advice"]))
            items.append(notes)
        else:
            items.append(no_findings_line(row))
        if row.get("changes"):
            marks = Table(title=f"changes while training trial {row['number']}", title_justify="left")
            for col in ("after epoch", "parameter", "old", "new", "who"):
                marks.add_column(col)
            for c in row["changes"]:
                # Not applied: no old value the trainer left; the cell says what became of it.
                old = _fmt(c["old"]) if c["status"] == "applied" and c["old"] is not None else "-"
                marks.add_row(when_taken(c),
                              *(Text(t) for t in (c["param"], old, _fmt(c["new"]), c["who"])))
            items.append(marks)
    # Into a pipe: one line per line and per change (greppable); the diagnosis's prose folds
    # in its columns, as on the leaderboard's page.
    console = console_for(*(item for item in items if not isinstance(item, str) and item.title.startswith("changes")))
    for item in items:
        console.print(item, markup=False, highlight=False)


def no_findings_line(row: Mapping[str, Any]) -> str:
    """Why a trial has no findings, as the leaderboard's line says it of its trials."""
    from nntune.diagnose_descent import MIN_EPOCHS_FOR_TREND

    epochs, number = row.get("epochs") or 0, row["number"]
    if not epochs:
        return f"no findings for trial {number}: it reported no curve (no trial.report), so there was nothing to diagnose"
    if epochs < MIN_EPOCHS_FOR_TREND:
        return (f"no findings for trial {number}: its curve is too short to read (fewer than "
                f"{MIN_EPOCHS_FOR_TREND} epochs, too few to read a trend)")
    if row.get("error"):  # a healthy curve is not what a failed trial should be remembered by
        return f"no findings in the curve of trial {number}; the error above ended it"
    return f"no findings for trial {number}: its curve looks healthy"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
