"""Names with markup in them (a parameter ``<b>α</b>``, a choice ``<x>``) are drawn in the
report's plots as written: plotly reads ``<b>``, ``<i>`` and ``&...;`` as markup."""

from __future__ import annotations

import json
import re

import pytest

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.report.html_parts import plot_text

BOLD, TAIL = "<b>α</b>", "ünits&<i>"


def marked_study(url: str) -> None:
    study = nntune.create_study(study_name="marked", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        trial.suggest_categorical(TAIL, ["<x>", "é"])
        return trial.suggest_float(BOLD, 0, 1)

    study.optimize(objective, n_trials=10)


def figure(page: str, div_id: str) -> dict:
    found = re.search(rf'Plotly.newPlot\(\s*"{div_id}",\s*(\[.*?\]),\s*(\{{.*?\}}),\s*\{{"displaylogo"', page, re.S)
    assert found is not None, div_id
    return {"data": json.loads(found.group(1)), "layout": json.loads(found.group(2))}


def test_plot_text_escapes_every_string_and_key():
    assert plot_text({"<b>a</b>": ["x&y", 1.5, None]}) == {"&lt;b&gt;a&lt;/b&gt;": ["x&amp;y", 1.5, None]}


def test_names_reach_the_plots_escaped(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    marked_study(url)
    page = render_html(build_report_data(url, "marked"))
    slices = figure(page, "plot-slices")
    titles = [a["text"] for a in slices["layout"]["annotations"]]
    escaped = {"&lt;b&gt;α&lt;/b&gt;", "ünits&amp;&lt;i&gt;"}
    assert set(titles) == escaped
    assert set(figure(page, "plot-importance")["data"][0]["y"]) == escaped
    dims = figure(page, "plot-parallel")["data"][0]["dimensions"]
    assert {d["label"] for d in dims} == escaped | {"value"}
    # A parallel axis's tick labels are drawn as plain text: they stay as written.
    assert any(d.get("ticktext") == ["<x>", "é"] for d in dims)


@pytest.mark.slow
def test_a_browser_draws_the_names_as_written(tmp_path, browser_context):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    marked_study(url)
    out = tmp_path / "marked.html"
    out.write_text(render_html(build_report_data(url, "marked")), encoding="utf-8")
    page = browser_context.new_page()
    page.goto(out.as_uri())
    page.wait_for_selector("#plot-importance .ytick text")

    def texts(selector: str) -> list[str]:
        return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")

    assert sorted(texts("#plot-slices .annotation-text")) == sorted([BOLD, TAIL])
    assert sorted(t.strip() for t in texts("#plot-importance .ytick text")) == sorted([BOLD, TAIL])
    assert BOLD in texts("#plot-parallel .axis-title") and "<x>" in texts("#plot-parallel .tick text")
