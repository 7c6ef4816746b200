"""The report's lineage section: which trial each PBT member or fork continued from, and
at which epoch (:func:`nntune.report.study_data.lineage_data`), drawn as the dashboard draws it
and listed in a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from nntune._words import agreeing, counted
from nntune.report.figures import _fig

STATE_COLORS = {"complete": "#1f77b4", "pruned": "#ef6c00", "failed": "#b00020", "diverged": "#6a1b9a",
                "running": "#1565c0", "waiting": "#757575"}


def lineage_figure(lineage: Mapping[str, Any], metric: str) -> go.Figure:
    """Each trial of the lineage at its number and value, a line from its parent to it."""
    nodes = lineage["nodes"]
    by_number = {n["number"]: n for n in nodes}
    ex: list[Any] = []
    ey: list[Any] = []
    for n in nodes:
        if n["parent"] is not None and n["parent"] in by_number:
            ex += [n["parent"], n["number"], None]
            ey += [by_number[n["parent"]]["value"], n["value"], None]
    fig = go.Figure([
        go.Scatter(x=ex, y=ey, mode="lines", name="continued from", line={"color": "#aaa"}, hoverinfo="skip"),
        go.Scatter(x=[n["number"] for n in nodes], y=[n["value"] for n in nodes], mode="markers", name="trial",
                   marker={"color": [STATE_COLORS.get(n["state"], "#777") for n in nodes], "size": 8},
                   text=[f"#{n['number']}" if n["parent"] is None
                         else f"#{n['number']} from #{n['parent']} at epoch {n['parent_step']}" for n in nodes])])
    return _fig(fig, 380, xaxis_title="trial", yaxis_title=f"validation {metric}")


def lineage_rows(lineage: Mapping[str, Any]) -> list[list[Any]]:
    """One row per trial that continued another: trial, state, value, parent, epoch."""
    return [[n["number"], n["state"], n["value"], n["parent"], n["parent_step"]]
            for n in lineage["nodes"] if n["parent"] is not None]


def lineage_note(lineage: Mapping[str, Any]) -> str:
    return (f'<p class="note">{counted(lineage["n_children"], "trial")} continued from another trial\'s weights '
            f'at an epoch (a PBT exploit or a fork): a line joins each to the trial it continued from. Its curve '
            f'up to that epoch is its parent\'s.{stopped_text(lineage)}</p>')


def stopped_text(lineage: Mapping[str, Any]) -> str:
    """The PBT members stopped before any trial continued from them: their lines end with
    them, and those that continued no trial either are not drawn ("" when there are none)."""
    stopped = list(lineage.get("stopped") or ())
    if not stopped:
        return ""
    drawn = {n["number"] for n in lineage["nodes"]}
    left_out = sum(1 for number in stopped if number not in drawn)
    n = len(stopped)
    text = (f" {counted(n, 'member')} {agreeing(n, 'was', 'were')} stopped before any trial started from "
            f"{agreeing(n, 'it', 'them')} ({numbers_text(stopped)}): PBT's replacements continue better members, "
            f"never a stopped one, so no line leaves {agreeing(n, 'it', 'them')}")
    if left_out == n:
        return text + f"; {agreeing(n, 'it continued', 'they continued')} no other trial either, so " \
                      f"{agreeing(n, 'it is', 'they are')} not drawn."
    if left_out:
        return text + f"; the {left_out} that continued no other trial either {agreeing(left_out, 'is', 'are')} not drawn."
    return text + "."


def numbers_text(numbers: Sequence[int], limit: int = 8) -> str:
    """``trial 3``, ``trials 1, 2 and 3``, or the first ``limit`` and how many more."""
    shown = [str(n) for n in numbers[:limit]]
    if len(numbers) > limit:
        return f"trials {', '.join(shown)} and {len(numbers) - limit} more"
    return f"trial {shown[0]}" if len(shown) == 1 else f"trials {', '.join(shown[:-1])} and {shown[-1]}"
