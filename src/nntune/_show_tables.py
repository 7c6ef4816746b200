"""The rich tables of ``nntune show``: the leaderboard (one objective, or by Pareto rank),
the failed trials, the measured priorities and the Pareto front. Apart so show.py keeps
the study's data and the order of its rows; :mod:`nntune.show` re-exports the public names."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nntune._words import agreeing, counted
from nntune.train.costs import COSTS


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def board_table(data: Mapping[str, Any], rows: list[Mapping[str, Any]]) -> Table | None:
    """The leaderboard of ``rows`` (the first of :func:`nntune.show.ranked_rows`; by Pareto
    rank for several objectives), or None while no trial has a value."""
    if not rows:  # an empty table says less than the line that no trial has a value yet
        return None
    if data.get("front"):
        return _pareto_board(rows, data["front"], data["study"])
    return _board(rows, data)


def _board(rows: list[Mapping[str, Any]], data: Mapping[str, Any]) -> Table:
    """The leaderboard of a study of one objective."""
    # Study names and choice values are the user's words (``exp[bs=64]``), never markup.
    board = Table(title=f"top {counted(len(rows), 'trial')} of {escape(data['study'])} ({data['direction']} validation "
                        f"{escape(data['metric'])})", title_justify="left")
    # Where a scheduler left each trial (bracket and rung, or its PBT parent), as the board
    # ``nntune tune`` ends with has it.
    scheduled = any(r.get("schedule") for r in rows)
    for col, justify in (("trial", "right"), ("state", "left"), (escape(data["metric"]), "right"), ("epochs", "right"),
                         *((("schedule", "left"),) if scheduled else ())):
        board.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    findings, params = _findings_and_params_columns(board, rows, "params")
    for r, found, text in zip(rows, findings, params):
        value = _fmt(r["value"]) + (f" ± {r['std_error']:.2g}" if r.get("std_error") is not None else "")
        state = r["state"] if r.get("feasible", True) else f"{r['state']}, infeasible"
        board.add_row(str(r["number"]), state, value, str(r["epochs"]),
                      *((r.get("schedule") or "-",) if scheduled else ()), found, escape(text))
    return board


def _findings_and_params_columns(board: Table, rows: list[Mapping[str, Any]], last: str) -> tuple[list[str], list[str]]:
    """Add the findings and hyperparameter columns, the second given twice the spare width
    of the first; both wrap what does not fit (inside a word if need be), never cutting a
    value off with an ellipsis. Returns their cells' texts."""
    findings = [", ".join(r["findings"]) or "-" for r in rows]
    params = [" ".join(f"{k}={_fmt(v)}" for k, v in r["params"].items()) for r in rows]
    board.add_column("findings", overflow="fold", ratio=1)
    board.add_column(last, overflow="fold", ratio=2)
    return findings, params


def _errors_table(failed: list[Mapping[str, Any]], top: int) -> Table:
    """The failed and diverged trials (the first ``top``) with their errors."""
    title = f"{counted(len(failed), 'trial')} failed or diverged (not ranked)"
    # At least as wide as its title, which would otherwise wrap over a table of short errors.
    errors = Table(title=title, title_justify="left", min_width=len(title))
    for col in ("trial", "state", "error"):
        errors.add_column(col, justify="right" if col == "trial" else "left")
    for r in failed[:top]:
        errors.add_row(str(r["number"]), r["state"], Text(r.get("error") or "no error recorded"))
    if len(failed) > top:
        errors.add_row("...", "", f"{len(failed) - top} more (see --json)")
    return errors


def _pareto_board(rows: list[Mapping[str, Any]], front: Mapping[str, Any], study: str) -> Table:
    """The leaderboard of a study of several objectives: its rows in
    :func:`nntune.show.pareto_order`, each with its non-dominated rank (1: on the Pareto
    front) and every objective's value."""
    names = [escape(n) for n in front["names"]]  # the user's names (``set_metric_names``), never markup
    board = Table(title=f"top {counted(len(rows), 'trial')} of {escape(study)} by Pareto rank ("
                        + ", ".join(f"{d} {n}" for n, d in zip(names, front["directions"]))
                        + "; ties by the objectives in that order)", title_justify="left")
    for col, justify in (("trial", "right"), ("state", "left"), ("rank", "right"), *[(n, "right") for n in names],
                         ("epochs", "right")):
        board.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    findings, params = _findings_and_params_columns(board, rows, "hyperparameters")
    for r, found, text in zip(rows, findings, params):
        values = list(r.get("values") or [r["value"]])
        values += [None] * (len(names) - len(values))
        state = r["state"] if r.get("feasible", True) else f"{r['state']}, infeasible"
        rank = r.get("pareto_rank")
        board.add_row(str(r["number"]), state, "-" if rank is None else str(rank),
                      *["-" if v is None else _fmt(v) for v in values], str(r["epochs"]), found, escape(text))
    return board


def render_priorities(rows: list[Mapping[str, Any]], console: Console) -> None:
    """The parameters by measured importance, beside the notes' order of tuning."""
    if not rows:
        return
    table = Table(title="parameters by measured importance, beside the notes' order of tuning", title_justify="left")
    for col, justify in (("rank", "right"), ("parameter", "left"), ("share", "right"), ("the notes", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        mark = " (measured ahead of an earlier tier)" if r["ahead_of_the_notes"] else ""
        table.add_row(str(r["rank"]), Text(r["name"]), f"{r['share']:.0%}", r["notes_order"] + mark)
    console.print(table)


def render_front(front: Mapping[str, Any], study: str, console: Console) -> None:
    """The Pareto front: each trial's values, its test look (once per trial, of the objectives
    measured on a split; a cost is the model's) and params; a line instead while no trial
    is on it. Into a pipe or a file the console is widened to the table, as for the
    leaderboard, and a cell too long still wraps, never cut."""
    names = [escape(n) for n in front["names"]]  # the user's names, never markup
    goal = ", ".join(f"{d} {n}" for n, d in zip(names, front["directions"]))
    if not front["rows"]:
        console.print(f"no trial of {escape(study)} is on the Pareto front yet ({goal})", highlight=False)
    else:
        from nntune.cli_text import widened_for

        table = front_table(front, study)
        widened_for(console, table).print(table)
    if front.get("infeasible"):
        bad = front["infeasible"]
        console.print(f"{counted(bad, 'complete trial')} broke the study's constraints and "
                      f"{agreeing(bad, 'is', 'are')} not on the front")


def front_table(front: Mapping[str, Any], study: str) -> Table:
    """The table of :func:`render_front`."""
    names = [escape(n) for n in front["names"]]
    table = Table(title=f"Pareto front of {escape(study)}: {counted(len(front['rows']), 'trial')} ("
                        + ", ".join(f"{d} {n}" for n, d in zip(names, front["directions"])) + ")",
                  title_justify="left")
    # A cost (params, latency_ms) is the model's, not a split's: its test look repeats the value beside it.
    scored = [i for i, n in enumerate(front["names"]) if n not in COSTS]
    for col in ("trial", *names, *[f"test {names[i]}" for i in scored]):
        table.add_column(col, justify="right")
    table.add_column("hyperparameters", overflow="fold")  # not "params": that is also an objective's name
    for r in front["rows"]:
        test = r.get("test") or {}
        table.add_row(str(r["number"]), *[_fmt(v) for v in r["values"]],
                      *[_fmt(test[n]) if n in test else "-" for n in (front["names"][i] for i in scored)],
                      Text(" ".join(f"{k}={_fmt(v)}" for k, v in r["params"].items())))
    return table
