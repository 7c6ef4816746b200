"""The pieces the report's HTML is built from: its style sheet, figures as ``<div>``s, tables,
numbers and parameter values as text, every string escaped."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from nntune._words import agreeing, counted

PLOT_CONFIG = {"displaylogo": False, "responsive": True}
SEVERITY_CLASS = {"error": "sev-error", "warning": "sev-warning", "info": "sev-info"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;opacity:.9}nav{padding:8px 32px;background:#fff;border-bottom:1px solid #ddd;
position:sticky;top:0;z-index:5;font-size:13px}nav a{margin-right:14px;color:#1f3b57;text-decoration:none}
main{padding:8px 32px 40px;max-width:1280px}section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;
margin:18px 0;padding:12px 20px}h2{font-size:18px;margin:6px 0 4px}p.note{color:#555;margin:4px 0 10px;font-size:13px}
p.empty{color:#888;font-style:italic}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:4px 10px;text-align:left;vertical-align:top}th{background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums}.sev-error{color:#b00020;font-weight:600}
.sev-warning{color:#a15c00;font-weight:600}.sev-info{color:#00639b;font-weight:600}
.card{border-left:4px solid #1f3b57;padding:4px 12px;margin:10px 0}.statement{font-size:15px;font-weight:600}
pre{background:#f3f3f3;padding:8px;font-size:12px;overflow:auto;max-height:220px}
table.attrs{margin:2px 0}table.attrs td{padding:2px 8px}table.attrs td.attr{max-width:480px;overflow-wrap:anywhere}
summary{cursor:pointer}
"""


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return "-" if value is None else str(value)


def esc(value: Any) -> str:
    return html.escape(fmt(value))


def plot(fig: go.Figure, div_id: str) -> str:
    # The figure was validated as it was built; validating again on output doubles the cost.
    return str(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id, config=PLOT_CONFIG,
                           validate=False, default_height=f"{fig.layout.height or 420}px"))


def plot_text(value: Any) -> Any:
    """``value`` (a figure's data: a name, a mapping, a list) with every string escaped, keys
    too: plotly reads ``<b>``, ``<i>``, ``<br>`` and ``&...;`` in any text it draws (titles,
    ticks, legends, hovers) as markup, so a parameter named ``<b>lr</b>`` would be drawn as a
    bold "lr" and one named ``units<i>`` lose its tail. Escaped, each is drawn as written."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, Mapping):
        return {plot_text(k): plot_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plot_text(v) for v in value]
    return value


def empty(text: str) -> str:
    return f'<p class="empty">{html.escape(text)}</p>'


class Markup(str):
    """A table cell that is markup built from escaped parts (a folded list), put in as it is
    where every other cell is escaped."""


def cell(value: Any) -> str:
    return value if isinstance(value, Markup) else esc(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{cell(c)}</td>' if i < len(numeric) and numeric[i] else f"<td>{cell(c)}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def param_text(value: Any) -> str:
    """A parameter's value: a ``None`` choice reads "None", since "-" marks a missing value."""
    return "None" if value is None else fmt(value)


def params_text(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={param_text(v)}" for k, v in params.items())


def infinite_left_out(summary: Mapping[str, Any]) -> str:
    """A sentence counting the complete trials valued inf or -inf a plot leaves out ("" for none)."""
    n = int(summary.get("n_infinite") or 0)
    return (f" {counted(n, 'complete trial')} valued inf or -inf {agreeing(n, 'is', 'are')} left out, "
            f"as Optuna's plots leave them out.") if n else ""


def nothing_finite(summary: Mapping[str, Any], otherwise: str) -> str:
    """Why a plot of complete trials is empty: ``otherwise``, unless every complete trial is
    valued inf or -inf, which no plot can place (the trials are there, with a value)."""
    n = int(summary.get("n_infinite") or 0)
    if not n or n < summary["counts"].get("complete", 0):
        return otherwise
    return (f"Every complete trial ({n}) is valued inf or -inf, which this section cannot place "
            f"(Optuna's plots leave them out too).")
