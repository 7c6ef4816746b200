"""The report's Pareto-front section, for a study of several objectives."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from nntune._words import agreeing, counted
from nntune.report import figures
from nntune.report.html_parts import empty, params_text, plot, plot_text, table


def params_header(names: Sequence[str]) -> str:
    """The hyperparameters' column: "params", unless an objective is already called that
    (``task.metric: [accuracy, params]``, the model's size), as ``nntune show`` names it."""
    return "hyperparameters" if "params" in names else "params"


def pareto_section(d: Mapping[str, Any]) -> str:
    """Several objectives: every complete trial on the objectives, the front highlighted (the
    figure of ``nntune.visualization.plot_pareto_front``), and the front's table with each
    trial's one test look."""
    front = d["pareto"]
    names = front["names"]
    drawn, infinite = front["points"]["number"], int(front["points"].get("n_infinite") or 0)
    if not drawn and not front["rows"]:  # no plot of no points, no table of no rows
        return empty(f"Every complete trial ({infinite}) has an objective valued inf or -inf, which the plot "
                     f"cannot place, and none is on the front." if infinite
                     else "No complete trial with a value for every objective yet.")
    goal = ", ".join(f"{html.escape(dr)} {html.escape(n)}" for n, dr in zip(names, front["directions"]))
    if not front["rows"]:  # every complete trial broke a constraint: the plot shows them, off the front
        note = f'<p class="note">No feasible trial yet, so no trial is on the front ({goal}).'
    else:
        note = (f'<p class="note">{counted(len(front["rows"]), "trial")} no other feasible trial beats on every '
                f'objective ({goal}'
                + (")." if not d["test"]["sealed"] else "); the sealed test split is evaluated once for each of them."))
    if front["infeasible"]:
        bad = front["infeasible"]
        note += (f' {counted(bad, "complete trial")} broke the study\'s constraints and '
                 f'{agreeing(bad, "is", "are")} left off the front.')
    if infinite:  # on the front or not, the plot leaves them out (Optuna's draws them nowhere either)
        note += (f' {counted(infinite, "complete trial")} with an objective valued inf or -inf '
                 f'{agreeing(infinite, "is", "are")} left out of the plot.')
    note += "</p>"
    rows = [[r["number"], *r["values"], *[(r["test"] or {}).get(n) for n in names], params_text(r["params"])]
            for r in front["rows"]]
    return (note + (plot(figures.pareto_figure(plot_text(front["points"])), "plot-pareto") if drawn else "")
            + (table(["trial", *names, *[f"test {n}" for n in names], params_header(names)], rows,
                     [True] * (1 + 2 * len(names)) + [False]) if rows else ""))
