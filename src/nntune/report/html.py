"""The report as one self-contained HTML file: plotly.js is inlined once, every figure is a
``<div>`` with its data, so the file opens from disk with no network and no server."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from plotly.offline import get_plotlyjs

from nntune._words import agreeing, counted
from nntune.report import figures
from nntune.report.data import build_report_data
from nntune.report.html_parts import (CSS, SEVERITY_CLASS, empty, esc, fmt, infinite_left_out, nothing_finite,
                                       param_text, params_text, plot, plot_text, table)
from nntune.report._pareto_section import params_header, pareto_section
from nntune.report._user_attrs import attrs_cell, study_attrs
from nntune.report.lineage import lineage_figure, lineage_note, lineage_rows, stopped_text
from nntune.report.output import write_page
from nntune.storage import Storage

# Every section, always present (with a note when it has nothing to show), in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Study"),
    ("history", "Optimization history"),
    ("learning-curves", "Learning curves of the top trials"),
    ("intermediate-values", "Intermediate values of all trials"),
    ("parallel-coordinates", "Parallel coordinates"),
    ("slices", "Slice plots"),
    ("importance", "Parameter importance"),
    ("best-region", "Best region per parameter"),
    ("test", "Test result"),
    ("diagnosis", "Diagnosis of the top trials"),
    ("trials", "Trials"),
)
SECTION_IDS = tuple(s for s, _ in SECTIONS)
# ---------------------------------------------------------------- sections


def goal_and_best(d: Mapping[str, Any]) -> tuple[str, str]:
    """What the study is to do, and its best: one value's best trial, or, for several
    objectives, the Pareto front (no trial is best on its own; the first objective's best
    would pass over the others)."""
    s, front = d["summary"], d.get("pareto")
    if front:
        goal = " and ".join(f"{dr} {n}" for n, dr in zip(front["names"], front["directions"]))
        numbers = ", ".join(str(r["number"]) for r in front["rows"])
        best = (f"{counted(len(front['rows']), 'trial')} on the Pareto front ({numbers})" if front["rows"]
                else no_best_text(s, front["infeasible"]))
        return goal, best
    best_trial = s["best"]
    best = no_best_text(s, s["counts"].get("complete", 0)) if best_trial is None else (
        f"best trial {best_trial['number']}: validation {s['metric']} {fmt(best_trial['value'])} "
        + (f"with {params_text(best_trial['params'])}" if best_trial["params"] else "(no searched parameters)"))
    return f"{s['direction']} the validation {s['metric']}", best


def no_best_text(summary: Mapping[str, Any], infeasible: int) -> str:
    """Why there is no best trial: none has completed, or the ``infeasible`` complete ones
    all broke the study's constraints (the best is chosen among the others only)."""
    if not summary["counts"].get("complete") or not infeasible:
        return "no trial has completed yet"
    return (f"no best trial: {agreeing(infeasible, 'the', 'all')} {counted(infeasible, 'complete trial')} "
            f"broke the study's constraints")


def summary_section(d: Mapping[str, Any]) -> str:
    s = d["summary"]
    counts = ", ".join(f"{v} {k}" for k, v in s["counts"].items())
    goal, best_text = goal_and_best(d)
    activity = f"<p>{html.escape(s['activity'])}.</p>" if s.get("activity") else ""
    return (f"<p>{counted(s['n_trials'], 'trial')} ({html.escape(counts)}); the study is to {html.escape(goal)}.</p>"
            f"{activity}<p><b>{html.escape(best_text)}</b></p>"
            f"<p>{html.escape(d['test']['statement'])}</p>"
            + "".join(f"<p>{html.escape(s[key]['text'])}</p>" for key in ("memory", "population", "terminator") if s.get(key))
            + study_attrs(s.get("user_attrs")))


def history_section(d: Mapping[str, Any]) -> str:
    h = d["history"]
    if not h["number"] and not h["pruned_number"]:
        return empty(nothing_finite(d["summary"], "No trial has finished with a value yet."))
    # The grey x is explained only where one is drawn: a study that pruned nothing has none.
    stopped = (f', each grey x a trial stopped early at its last value ({len(h["pruned_number"])} shown)'
               if h["pruned_number"] else "")
    note = (f'<p class="note">Each dot is a complete trial ({h["n_complete"]} in all){stopped}; the line is the '
            f'best complete value so far{infeasible_note(h)}.{infinite_left_out(d["summary"])}</p>')
    return note + plot(figures.history_figure(plot_text(h), plot_text(d["summary"]["metric"])), "plot-history")


def infeasible_note(h: Mapping[str, Any]) -> str:
    """The history's complete trials that broke a constraint: grey, and passed by the best line."""
    n = len(h.get("infeasible_number") or ())
    return (f" among those that meet the study's constraints (the {counted(n, 'grey dot')} "
            f"{'is a trial' if n == 1 else 'are trials'} that broke them)") if n else ""


def learning_curves_section(d: Mapping[str, Any]) -> str:
    curves = d["learning_curves"]
    if not curves:
        return empty(no_curves_text(d["diagnosis"]))
    note = ('<p class="note">Training (solid) against validation (dashed). A validation curve far above the '
            'training one is overfitting; both high and close is underfitting.</p>')
    metric = curves[0].get("metric") or d["summary"]["metric"]  # a loss objective's panel shows its logged metric
    return note + plot(figures.learning_curves_figure(plot_text(curves), plot_text(metric)), "plot-learning-curves")


def no_curves_text(top: Sequence[Mapping[str, Any]]) -> str:
    """Why no learning curve is drawn: no trial has a value yet, the top trials reported
    only intermediate values, or they reported nothing per epoch at all."""
    if not top:
        return "No trial has finished with a value yet, so there are no training curves to compare."
    if any(t.get("epochs") for t in top):
        return ("The top trials reported no per-epoch records (only intermediate values), so there are "
                "no training curves to compare.")
    return ("The top trials reported nothing per epoch (no trial.report), only their final value, so there "
            "are no training curves to compare.")


def intermediate_section(d: Mapping[str, Any]) -> str:
    it = d["intermediate"]
    if not it["curves"]:
        return empty("No trial reported intermediate values.")
    pruned = it["n_pruned"]
    stopped = (f' {counted(pruned, "trial")} {agreeing(pruned, "was", "were")} stopped early (pruned): orange, '
               f'with an x where {agreeing(pruned, "it", "they")} stopped.' if pruned else "")
    note = (f'<p class="note">{it["n_shown"]} of {it["n_trials"]} curves drawn (the best first, the rest evenly '
            f'spaced); the band holds 10-90% of all trials at each epoch.{stopped}</p>')
    return note + plot(figures.intermediate_figure(plot_text(it), plot_text(d["summary"]["metric"])), "plot-intermediate")


def parallel_section(d: Mapping[str, Any]) -> str:
    p = d["parallel"]
    if not p["dimensions"] or not p["value"]:
        return empty(nothing_finite(d["summary"], "No complete trial with parameters yet."))
    note = (f'<p class="note">{len(p["value"])} of {counted(p["n_complete"], "complete trial")}; log-scaled parameters '
            f'are shown as log10. Drag along an axis to select a range.{infinite_left_out(d["summary"])}</p>')
    # An axis's name is drawn as markup, its tick labels as plain text (escaped they would read "&lt;").
    shown = {**p, "dimensions": [{**dim, "name": plot_text(dim["name"])} for dim in p["dimensions"]]}
    return note + plot(figures.parallel_figure(shown, plot_text(d["summary"]["metric"]), d["summary"]["direction"]),
                       "plot-parallel")


def slices_section(d: Mapping[str, Any]) -> str:
    slices = [s for s in d["slices"] if s["x"]]
    if not slices:
        return empty(nothing_finite(d["summary"], "No complete trial with parameters yet."))
    note = ('<p class="note">The objective against each parameter, on the parameter\'s own scale (log axis for '
            f'log-scaled ones); darker points are later trials'
            f'{", grey x trials stopped early" if any(any(s["pruned"]) for s in slices) else ""}.'
            f'{infinite_left_out(d["summary"])}</p>')
    return note + plot(figures.slices_figure(plot_text(slices), plot_text(d["summary"]["metric"])), "plot-slices")


def importance_section(d: Mapping[str, Any]) -> str:
    imp = d["importance"]
    if not imp["importance"]:
        return empty(f"Importance needs at least 8 complete trials with varying finite values "
                     f"({imp['n_trials']} so far).{infinite_left_out(d['summary'])}")
    note = (f'<p class="note">{html.escape(imp["method"])} on {counted(imp["n_trials"], "complete trial")} '
            f'(forest fit R² {fmt(imp["r2"])}).</p>')
    return note + plot(figures.importance_figure(plot_text(imp)), "plot-importance") + priorities_table(d.get("priorities", []))


def priorities_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The measured order beside the notes' order of tuning."""
    if not rows:
        return ""
    body = [[r["rank"], r["name"], f"{r['share']:.0%}",
             r["notes_order"] + (" (measured ahead of an earlier tier)" if r["ahead_of_the_notes"] else "")]
            for r in rows]
    return ('<p class="note">The parameters by measured importance, beside the notes\' order of tuning '
            '(the learning rate first; then momentum, mini-batch size and hidden units; then layers and '
            'learning-rate decay; Adam\'s beta1, beta2 and eps left at their defaults).</p>'
            + table(["rank", "parameter", "share", "the notes"], body, [True, False, True, False]))


def span(dist: Mapping[str, Any]) -> str:
    """A described distribution as text: its values, or ``low .. high``."""
    if "values" in dist:
        return ", ".join(map(param_text, dist["values"]))
    return f"{fmt(dist['low'])} .. {fmt(dist['high'])}"


def best_region_section(d: Mapping[str, Any]) -> str:
    r = d["best_region"]
    if not r["top_trials"]:
        complete = d["summary"]["counts"].get("complete")
        return empty(nothing_finite(d["summary"], "No complete trial meets the study's constraints yet."
                                    if complete else "No complete trial yet."))
    rows = [[name, p["full"]["scale"], span(p["full"]), span(p["region"]),
             param_text(p["best"]) if p.get("in_best", p["best"] is not None) else None]
            for name, p in r["params"].items()]
    note = (f'<p class="note">The range of the {counted(len(r["top_trials"]), "best complete trial")} '
            f'({", ".join(map(str, r["top_trials"]))}) on each parameter\'s own scale. The space below can seed '
            f'the next coarse-to-fine stage.</p>')
    return (note + table(["parameter", "scale", "searched", "best region", "best trial"], rows)
            + f"<pre>{html.escape(space_json(r['space']))}</pre>")


def space_json(space: Mapping[str, Any]) -> str:
    """A space as JSON with one line per parameter, names and values as written: a parameter
    "α" reads "α", not "\\u03b1" (JSON holds any character)."""
    lines = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
             for k, v in space.get("params", {}).items()]
    conditions = json.dumps(space.get("conditions", {}), ensure_ascii=False)
    return '{"params": {\n' + ",\n".join(lines) + "\n},\n" + f'"conditions": {conditions}}}'


def test_section(d: Mapping[str, Any]) -> str:
    t = d["test"]
    out = f'<p class="statement">{html.escape(t["statement"])}</p>'
    if not t["evaluations"]:
        return out + (empty("The sealed test split has not been opened: the search never looks at it.")
                      if t.get("sealed", True) else "")
    names = list(dict.fromkeys(k for e in t["evaluations"] for k in e["metrics"]))
    rows = [[e["trial"], e["time"], *[e["metrics"].get(k) for k in names]] for e in t["evaluations"]]
    out += table(["trial", "time (UTC)", *names], rows, [True, False, *[True] * len(names)])
    if t.get("positive_class") is not None:  # a recall of 1 for the common class of two says nothing of the rare one
        out += (f'<p class="note">Precision, recall, f1 and specificity are of class '
                f'{html.escape(t["positive_class"])} against the rest (tp, fp, fn, tn count that class).</p>')
    last = t["evaluations"][-1]["trial"]
    if t["confusion_matrix"]:
        out += f'<p class="note">Confusion matrix of the latest test evaluation (trial {last}): rows are the true ' \
               f'classes, columns the predicted ones.</p>'
        out += '<div id="confusion-matrix">' + plot(figures.confusion_figure(t["confusion_matrix"], plot_text(t.get("classes"))),
                                                   "plot-confusion") + "</div>"
    elif t["residuals"]:
        out += f'<p class="note">Residuals of the latest test evaluation (trial {last}) against the prediction: ' \
               f'a pattern or a funnel means the errors depend on the value.</p>'
        out += '<div id="residuals">' + plot(figures.residuals_figure(t["residuals"]), "plot-residuals") + "</div>"
    else:
        out += empty("The latest test evaluation stored no confusion matrix or residuals.")
    return out


def diagnosis_section(d: Mapping[str, Any]) -> str:
    if not d["diagnosis"]:
        return empty("No trial to diagnose yet.")
    parts = []
    for t in d["diagnosis"]:
        items = "".join(
            f'<li><span class="{SEVERITY_CLASS.get(f["severity"], "")}">{html.escape(f["kind"])}</span> '
            f'({html.escape(f["severity"])}): {html.escape(f["summary"])}<br>{html.escape(f["advice"])}</li>'
            for f in t["findings"]) or f"<li>{no_finding_text(t)}</li>"
        parts.append(f'<div class="card"><b>trial {t["number"]}</b> ({html.escape(t["state"])}, '
                     f'value {esc(t["value"])})<ul>{items}</ul></div>')
    curves = [c for c in d["learning_curves"] if c["layers"]]
    if curves:
        parts.append(f'<p class="note">Per-layer statistics of trial {curves[0]["number"]}, the best with '
                     f'records: gradient norms far apart between first and last layers mean vanishing or '
                     f'exploding gradients.</p>' + plot(figures.layers_figure(plot_text(curves[0])), "plot-layers"))
    return "".join(parts)


def no_finding_text(trial: Mapping[str, Any]) -> str:
    """A top trial without findings: healthy curves, too few epochs to read, or none to read
    (nothing reported per epoch)."""
    from nntune.diagnose_findings import no_finding_words

    return f"No finding: {no_finding_words(trial.get('epochs'))}."


def trials_section(d: Mapping[str, Any]) -> str:
    tt = d["trials"]
    if not tt["rows"]:
        return empty("The study holds no trial yet.")
    cols = tt["scheduler_columns"]
    # The error of a failed or diverged trial (cut short, escaped by the table like any cell).
    errors = any(r.get("error") for r in tt["rows"])
    front = d.get("pareto")
    names = front["names"] if front else ["value"]
    # A value has a standard error only as a share of the validation samples (accuracy): an
    # rmse or f1 study gets no column of dashes and no sentence about them.
    se = any(r.get("std_error") is not None for r in tt["rows"])
    attrs = any(r.get("user_attrs") for r in tt["rows"])
    rows = [[r["number"], r["state"] if r.get("feasible", True) else f"{r['state']}, infeasible",
             *objective_cells(r, len(names)), *([r.get("std_error")] if se else []), r["epochs"],
             *[r["scheduler"].get(c) for c in cols], params_text(r["params"]),
             *([attrs_cell(r.get("user_attrs"))] if attrs else []), *([r.get("error")] if errors else [])]
            for r in tt["rows"]]
    note = f'<p class="note">{len(rows)} of {counted(tt["n_trials"], "trial")}, the best first'
    note += ", then those that failed or diverged, with their errors" if errors else ""
    note += (f", with the scheduler's {', '.join(cols)}" if cols else "") + "."
    note += " A trial's user attributes (set_user_attr) unfold from their count." if attrs else ""
    if tt.get("n_val") and se:
        note += (f" ± is the value's standard error on the {tt['n_val']} validation samples: "
                 "a difference smaller than it may be noise.")
    note += "</p>"
    if d.get("split_warning"):
        note += f'<p class="sev-warning">{html.escape(d["split_warning"])}</p>'
    return note + table(["trial", "state", *names, *(["±"] if se else []), "epochs", *cols, params_header(names),
                         *(["user attributes"] if attrs else []), *(["error"] if errors else [])],
                        rows, [True, False, *[True] * len(names), *([True] if se else []), True, *[True] * len(cols)])


def objective_cells(row: Mapping[str, Any], n: int) -> list[Any]:
    """A trials-table row's value, or with several objectives each of its values."""
    if n == 1:
        return [row["value"]]
    values = list(row.get("values") or [])
    return values + [None] * (n - len(values))


# Sections that rank or plot trials by one value: with several objectives they read the first.
FIRST_OBJECTIVE_SECTIONS = frozenset({"history", "parallel-coordinates", "slices", "importance", "best-region",
                                      "diagnosis", "trials"})


def first_objective_note(d: Mapping[str, Any], section: str) -> str:
    """For a study of several objectives, which one a single-value section reads."""
    front = d.get("pareto")
    if not front or section not in FIRST_OBJECTIVE_SECTIONS:
        return ""
    return (f'<p class="note">With {len(front["names"])} objectives this section ranks and plots trials by the '
            f'first, {html.escape(front["names"][0])} ({html.escape(front["directions"][0])}); the Pareto front '
            f'weighs them all.</p>')


RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "summary": summary_section, "history": history_section, "learning-curves": learning_curves_section,
    "intermediate-values": intermediate_section, "parallel-coordinates": parallel_section,
    "slices": slices_section, "importance": importance_section, "best-region": best_region_section,
    "test": test_section, "diagnosis": diagnosis_section, "trials": trials_section,
}


def lineage_section(d: Mapping[str, Any]) -> str:
    """PBT members and forks: the trial each continued from, and at which epoch."""
    lin = d["lineage"]
    if not lin["nodes"]:  # a PBT study before its first exploit
        return empty("No member of the population has copied another's weights yet (no PBT exploit), so "
                     "there is no lineage to draw: each exploit adds a line here." + stopped_text(lin))
    return (lineage_note(lin) + plot(lineage_figure(plot_text(lin), plot_text(d["summary"]["metric"])), "plot-lineage")
            + table(["trial", "state", "value", "continued from", "at epoch"], lineage_rows(lin),
                    [True, False, True, True, True]))


def page_sections(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The report's sections; a study of several objectives adds its Pareto front after
    the optimization history, a PBT study or one whose trials continued others (forks) its
    lineage before the trials table."""
    sections = SECTIONS
    lineage = data.get("lineage") or {}
    if lineage.get("nodes") or lineage.get("pbt"):  # a PBT study says why it has no lineage yet
        at = SECTION_IDS.index("trials")
        sections = (*sections[:at], ("lineage", "Lineage"), *sections[at:])
    if not data.get("pareto"):
        return sections
    at = SECTION_IDS.index("history") + 1
    return (*sections[:at], ("pareto-front", "Pareto front"), *sections[at:])


def render_html(data: Mapping[str, Any]) -> str:
    """The whole page for ``data`` (from :func:`build_report_data`)."""
    s = data["summary"]
    sections = page_sections(data)
    renderers = {**RENDERERS, "pareto-front": pareto_section, "lineage": lineage_section}
    nav = "".join(f'<a href="#{sid}">{html.escape(title)}</a>' for sid, title in sections)
    body = "".join(f'<section id="{sid}"><h2>{html.escape(title)}</h2>{first_objective_note(data, sid)}'
                   f'{renderers[sid](data)}</section>' for sid, title in sections)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>nntune report: '
            f'{html.escape(s["study"])}</title><style>{CSS}</style>'
            f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
            f'<header><h1>nntune report: {html.escape(s["study"])}</h1><p>{html.escape(s["storage"])}</p></header>'
            f"<nav>{nav}</nav><main>{body}</main></body></html>")


def write_report(storage: str | Storage, study_name: str, path: str | Path, *, top_k: int = 5,
                 seed: int = 0, field: str | None = None) -> Path:
    """Write the study's report to ``path`` (atomically; a stream such as /dev/stdout is
    written into) and return the path. With ``field`` (the option that named the path), a
    path that cannot be written is a :class:`~nntune.exceptions.ConfigError` naming it."""
    page = render_html(build_report_data(storage, study_name, top_k=top_k, seed=seed))
    return write_page(path, page, field=field)
