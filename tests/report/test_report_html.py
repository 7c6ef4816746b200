"""The HTML report: every section, no network, and (with chromium) plots that really render."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import nntune
from _objectives import front_study, validation_loss_study
from nntune.report import SECTION_IDS, render_html, write_report
from nntune.report.data import build_report_data

CHROMIUM = Path(shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium")
# Injected before anything else: collects script errors and, once loaded, writes them and
# the number of rendered plots into attributes of <body> for --dump-dom to show.
ERROR_HOOK = (
    "<script>window.__errors=[];"
    "window.addEventListener('error',function(e){window.__errors.push(String(e.message))});"
    "window.addEventListener('unhandledrejection',function(e){window.__errors.push(String(e.reason))});"
    "window.addEventListener('load',function(){setTimeout(function(){"
    "document.body.setAttribute('data-js-errors',JSON.stringify(window.__errors));"
    "document.body.setAttribute('data-plots',String(document.querySelectorAll('.js-plotly-plot').length));"
    "},300)});</script>")


def plot_ids(page: str) -> list[str]:
    return re.findall(r'<div id="(plot-[a-z-]+)" class="plotly-graph-div"', page)


def test_every_section_is_present_and_nothing_is_fetched(storage, make_study, tmp_path):
    make_study(storage)
    out = write_report(storage, "demo", tmp_path / "sub" / "report.html")
    page = out.read_text(encoding="utf-8")
    for sid in SECTION_IDS:
        assert page.count(f'<section id="{sid}">') == 1, sid
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']https?:", page, re.I)
    assert page.count("<script") == 1 + len(plot_ids(page))  # plotly.js once, then one per plot
    assert set(plot_ids(page)) == {"plot-history", "plot-learning-curves", "plot-intermediate", "plot-parallel",
                                   "plot-slices", "plot-importance", "plot-confusion", "plot-layers",
                                   "plot-lineage"}  # the demo study has PBT children
    assert '<div id="confusion-matrix">' in page
    assert "The test split of this study has been evaluated once." in page
    assert not list(out.parent.glob(".report.html.*"))  # the temporary file was renamed


def test_slices_use_a_log_axis_for_log_scaled_parameters(storage, make_study):
    make_study(storage)
    page = render_html(build_report_data(storage, "demo"))
    slices = page[page.index('<section id="slices">'):page.index('<section id="importance">')]
    # lr and units are log-scaled, beta1 by decades of 1 - beta1 (reversed: beta near 1 on
    # the right); dropout and optimizer are not.
    assert slices.count('"type":"log"') == 3 and slices.count('"type":"category"') == 1
    assert slices.count('"autorange":"reversed"') == 1 and "beta1 (axis: 1 - beta1)" in slices


def test_the_diagnosis_and_trials_sections_show_findings_and_scheduler_columns(storage, make_study):
    make_study(storage)
    page = render_html(build_report_data(storage, "demo"))
    diag = page[page.index('<section id="diagnosis">'):page.index('<section id="trials">')]
    assert diag.count('class="card"') == 5
    trials = page[page.index('<section id="trials">'):]
    assert "<th>rung</th>" in trials and "<th>parent</th>" in trials


def test_the_page_shows_standard_errors_and_the_notes_order(storage, make_study):
    make_study(storage)
    storage.set_study_attr(storage.load_study("demo").id, "n_val", 40)
    page = render_html(build_report_data(storage, "demo"))
    importance = page[page.index('<section id="importance">'):page.index('<section id="best-region">')]
    assert "notes' order of tuning" in importance and "first: the learning rate" in importance
    trials = page[page.index('<section id="trials">'):]
    assert "<th>±</th>" in trials and "40 validation samples" in trials


def test_regression_reports_draw_residuals(storage, make_study, tmp_path):
    make_study(storage, "reg", metric="mae")
    page = write_report(storage, "reg", tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<div id="residuals">' in page and "plot-residuals" in page and "plot-confusion" not in page


def test_a_study_with_nothing_to_draw_still_has_every_section(storage, tmp_path):
    storage.create_study("empty", "minimize")
    page = write_report(storage, "empty", tmp_path / "e.html").read_text(encoding="utf-8")
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in page
    assert plot_ids(page) == [] and "This study has no sealed test split" in page


def test_text_from_storage_is_escaped(storage, make_study):
    make_study(storage, "<b>x</b>")
    page = render_html(build_report_data(storage, "<b>x</b>"))
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def section(page: str, sid: str) -> str:
    start = page.index(f'<section id="{sid}">')
    return page[start:page.index("</section>", start)]


def test_failed_and_diverged_trials_show_their_error_cut_short_and_escaped(tmp_path):
    url = f"sqlite:///{tmp_path / 'errors.db'}"
    study = nntune.create_study(study_name="errors", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report(x, 1)
        if trial.number == 1:
            raise RuntimeError("boom <script>alert(1)</script> " + "L" * 500)
        return float("nan") if trial.number == 2 else x

    study.optimize(objective, n_trials=3, catch=(RuntimeError,))
    page = render_html(build_report_data(url, "errors"))
    trials = section(page, "trials")
    assert "<th>error</th>" in trials and "objective returned nan" in trials
    assert "RuntimeError: boom &lt;script&gt;alert(1)&lt;/script&gt; LLL" in trials
    assert "<script>alert" not in page and "L" * 200 not in trials and "…" in trials


def test_a_none_choice_reads_none_and_keeps_its_points_in_the_slices(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    study = nntune.create_study(study_name="none", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"act": None})
    study.enqueue_trial({"act": "relu"})
    study.optimize(lambda t: 0.0 if t.suggest_categorical("act", [None, "relu"]) is None else 1.0, n_trials=2)
    data = build_report_data(url, "none")
    act = next(s for s in data["slices"] if s["name"] == "act")
    assert sorted(act["x"]) == ["None", "relu"] and act["categories"] == ["None", "relu"]
    page = render_html(data)
    assert "act=None" in section(page, "summary") and "act=None" in section(page, "trials")
    region = section(page, "best-region")
    assert "<td>None, relu</td>" in region and "<td>None</td>" in region


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium to render the report in (apt-get install -y "
                                                  "chromium; ./dev test installs it when run as root)")
def test_the_report_renders_in_a_headless_browser_without_errors(storage, make_study, tmp_path):
    make_study(storage, n=60)
    page = write_report(storage, "demo", tmp_path / "report.html").read_text(encoding="utf-8")
    hooked = tmp_path / "hooked.html"
    hooked.write_text(page.replace("<head>", "<head>" + ERROR_HOOK, 1), encoding="utf-8")
    profile = tmp_path / "profile"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", hooked.as_uri()]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    errors = re.search(r'data-js-errors="([^"]*)"', dom)
    assert errors is not None, "the page never finished loading"
    assert json.loads(errors.group(1).replace("&quot;", '"')) == []
    rendered = int(re.search(r'data-plots="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    assert rendered == len(plot_ids(page)) == 9  # the lineage too: the demo study has PBT children
    assert len(re.findall(r'class="main-svg"', dom)) >= rendered


def test_a_study_of_several_objectives_is_summed_up_by_its_front_not_one_best_value(tmp_path):
    url = f"sqlite:///{tmp_path / 'front.db'}"
    front_study(url, "front")
    summary = section(render_html(build_report_data(url, "front")), "summary")
    assert "maximize accuracy and minimize parameters" in summary
    assert "2 trials on the Pareto front (0, 1)" in summary
    assert "best trial" not in summary and "validation value" not in summary


def test_a_study_of_several_objectives_says_which_one_each_single_value_section_reads(tmp_path):
    url = f"sqlite:///{tmp_path / 'front.db'}"
    front_study(url, "front", n_trials=2)
    page = render_html(build_report_data(url, "front"))
    note = "ranks and plots trials by the first, accuracy (maximize)"
    for sid in ("history", "slices", "importance", "best-region", "diagnosis", "trials"):
        assert note in section(page, sid), sid
    assert note not in section(page, "pareto-front") and note not in section(page, "summary")
    trials = section(page, "trials")
    assert "<th>accuracy</th><th>parameters</th>" in trials and ">900<" in trials  # every objective's value
    # The objective is the script's own: no sealed test split was held, none is promised.
    assert "sealed test split is evaluated" not in section(page, "pareto-front")


def test_a_conditional_choice_missing_from_some_trials_is_drawn_not_a_crash(tmp_path):
    url = f"sqlite:///{tmp_path / 'conditional.db'}"
    study = nntune.create_study(study_name="conditional", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))
    for p in ({"optimizer": "sgd", "nesterov": True}, {"optimizer": "adam"}, {"optimizer": "sgd", "nesterov": False}):
        study.enqueue_trial(p)

    def objective(trial: nntune.Trial) -> float:
        if trial.suggest_categorical("optimizer", ["adam", "sgd"]) == "sgd":
            trial.suggest_categorical("nesterov", [True, False])
        return trial.suggest_float("lr", 1e-4, 1e-1, log=True)

    study.optimize(objective, n_trials=3)
    data = build_report_data(url, "conditional")
    nesterov = next(d for d in data["parallel"]["dimensions"] if d["name"] == "nesterov")
    assert nesterov["values"] == [0.0, None, 1.0]
    assert "plot-parallel" in plot_ids(render_html(data))


def test_a_study_of_an_objective_of_its_own_has_no_sealed_split_to_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'own.db'}"
    study = nntune.create_study(study_name="own", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    page = render_html(build_report_data(url, "own"))
    for sid in ("summary", "test"):
        text = section(page, sid)
        assert "This study has no sealed test split: its objective is its own" in text
        assert "never been evaluated" not in text and "sealed test split has not been opened" not in text


def test_an_objective_of_the_validation_loss_draws_its_logged_metric_beside_the_loss(tmp_path):
    # The value is the validation loss, which has a panel of its own: the second panel draws
    # the accuracy the records hold, not the loss a second time.
    url = f"sqlite:///{tmp_path / 'loss.db'}"
    validation_loss_study(url)
    data = build_report_data(url, "loss")
    assert data["summary"]["metric"] == "loss"
    curve = data["learning_curves"][0]
    assert curve["metric"] == "accuracy" and curve["val_metric"] == pytest.approx([0.6, 0.8, 1 - 0.4 / 3])
    page = section(render_html(data), "learning-curves")
    assert '"text":"accuracy"' in page.replace(" ", "")  # the second panel's title


def test_a_population_study_s_report_says_how_its_stacks_were_filled(storage, make_study):
    # The figures the population executor stores with the study, in the words nntune show uses.
    from nntune.executors._members import Occupancy
    from nntune.show import population_data

    sid = make_study(storage)
    figures = Occupancy(4, rounds=3, member_epochs=10, slot_epochs=12, stack_epochs=3).to_json()
    storage.set_study_attr(sid, "population", figures)
    storage.set_study_attr(sid, "population_block", 4)
    data = build_report_data(storage, "demo")
    line = population_data(figures, 4)["text"]
    assert data["summary"]["population"]["text"] == line and "16.7% of the slots trained held no member" in line
    summary = re.search(r'<section id="summary">(.*?)</section>', render_html(data), re.S).group(1)
    assert f"<p>{line}</p>" in summary


def test_the_report_draws_the_lineage_of_trials_that_continued_others(storage, make_study):
    # README: a PBT member's or a fork's lineage (parent, parent_step) is drawn in the report.
    make_study(storage)
    data = build_report_data(storage, "demo")
    children = [n for n in data["lineage"]["nodes"] if n["parent"] is not None]
    assert children and data["lineage"]["n_children"] == len(children)
    page = render_html(data)
    section = re.search(r'<section id="lineage">(.*?)</section>', page, re.S).group(1)
    assert 'id="plot-lineage"' in section and '<a href="#lineage">' in page
    for child in children:
        assert f'<td class="num">{child["number"]}</td>' in section
    from nntune.storage import InMemoryStorage
    from nntune.trial import TrialState

    other = InMemoryStorage()
    sid = other.create_study("none", "maximize")
    other.finish_trial(sid, other.create_trial(sid), TrialState.COMPLETE, 0.5)
    assert 'id="lineage"' not in render_html(build_report_data(other, "none"))
