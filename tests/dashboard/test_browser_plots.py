"""The study page's timeline, EDF, contour, rank and Pareto front in a real browser (Debian's
chromium): each is drawn when scrolled to, the contour's selects pick its pair, and a click on
a point of the Pareto front follows that trial."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_api import build_study
from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def drawn(page: Any, plot: str) -> list[dict[str, Any]]:
    """The traces of a plot once scrolled to and drawn: their type, mode, name and point count."""
    page.wait_for_selector(f"#{plot}", state="visible", timeout=20000)  # the Pareto front's section shows once read
    page.evaluate(f"document.getElementById('{plot}').scrollIntoView()")
    page.wait_for_function(f"() => (document.getElementById('{plot}').data || []).length > 0", timeout=20000)
    return page.evaluate(f"""document.getElementById('{plot}').data.map(t => ({{type: t.type || 'scatter',
        mode: t.mode, name: t.name, n: (t.x || []).filter(v => v !== null).length}}))""")


def test_a_study_of_one_objective_draws_its_timeline_edf_contour_and_rank(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'one.db'}")
    sid = build_study(store, "demo", n=20)
    running = store.create_trial(sid, params={"lr": 1e-3, "units": 32, "dropout": 0.1, "optimizer": "sgd", "beta1": 0.9})
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=demo")
        # Each trial a bar of two ends (a bar too short to see has a dot too, in a trace of its
        # own); the running one among them, drawn to now.
        timeline = {t["name"]: t["n"] for t in drawn(page, "timeline-plot") if t["mode"] != "markers"}
        counts = Counter(t.state.value for t in store.get_trials(sid))
        assert counts["running"] == 1 and timeline == {state: 2 * n for state, n in counts.items()}
        assert page.evaluate("document.getElementById('timeline-plot').data.find(t => t.name === 'running').x[1]") \
            >= store.get_trial(sid, running).datetime_start.isoformat()
        edf = drawn(page, "edf-plot")
        assert len(edf) == 1 and edf[0]["n"] == counts["complete"]
        contour = drawn(page, "contour-plot")
        assert [t["type"] for t in contour] == ["contour", "scatter"] and contour[1]["n"] == counts["complete"]
        assert [t["type"] for t in drawn(page, "rank-plot")] == ["scatter"]
        pair = page.evaluate("[document.getElementById('contour-x').value, document.getElementById('contour-y').value]")
        assert pair[0] != pair[1] and "optimizer" not in pair and "optimizer" in page.inner_text("#contour-x")
        # Another pair: both plots redrawn over it, a Beta on its 1 - b axis.
        other = "units" if "units" not in pair else "dropout"
        page.select_option("#contour-x", "beta1")
        if pair[1] == "beta1":
            page.select_option("#contour-y", other)
        page.wait_for_function("() => document.getElementById('contour-plot').layout.xaxis.title.text === '1 - beta1'",
                               timeout=20000)
        page.wait_for_function("() => document.getElementById('rank-plot').layout.xaxis.title.text === '1 - beta1'",
                               timeout=20000)
        # A choice: its trials as points over its labels, in the space's order, over the surface
        # plot_contour draws at the labels' places (the page drew the points alone).
        page.select_option("#contour-x", "optimizer")
        page.wait_for_function("() => document.getElementById('rank-plot').layout.xaxis.title.text === 'optimizer'",
                               timeout=20000)
        page.wait_for_function("() => document.getElementById('contour-plot').layout.xaxis.title.text === 'optimizer'",
                               timeout=20000)
        axis = page.evaluate("document.getElementById('contour-plot').layout.xaxis")
        assert axis["type"] == "category" and axis["categoryarray"] == ["sgd", "adam"]
        assert [t["type"] for t in drawn(page, "contour-plot")] == ["contour", "scatter"]
        surface = page.evaluate("(t => [t.x, t.z.length, t.z[0].length])"
                                "(document.getElementById('contour-plot').data[0])")
        assert surface[0] == ["sgd", "adam"] and surface[1:] == [50, 2]
        assert "interpolated between each choice's trials" in page.inner_text("#contour-note")
        assert not errors, errors


def test_a_click_on_a_point_of_the_pareto_front_follows_its_trial(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'mo.db'}")
    study = nntune.create_study(study_name="mo", storage=store.url, directions=["maximize", "minimize", "minimize"],
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["acc", "cost", "size"])
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), t.suggest_float("y", 0.0, 1.0),
                              (t.params["x"] - t.params["y"]) ** 2), n_trials=10)
    front = sorted(t.number for t in study.best_trials)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=mo")
        traces = drawn(page, "pareto-plot")
        assert [(t["name"], t["n"]) for t in traces] == [("Trial", 10 - len(front)), ("Best Trial", len(front))]
        # Three objectives: two of them picked by the selects.
        page.select_option("#pareto-y", "2")
        page.wait_for_function("() => document.getElementById('pareto-plot').layout.yaxis.title.text === 'size (minimize)'",
                               timeout=20000)
        assert drawn(page, "contour-plot") and drawn(page, "timeline-plot") and drawn(page, "edf-plot")
        page.evaluate("document.getElementById('pareto-plot').scrollIntoView()")
        box = page.locator("#pareto-plot .scatterlayer .trace:nth-child(2) path.point").first.bounding_box()
        number = page.evaluate("document.getElementById('pareto-plot').data[1].customdata[0]")
        assert number in front
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(f"() => document.getElementById('trial-title').textContent.startsWith('#{number} ')",
                               timeout=20000)
        assert page.is_checked("#follow") is False
        assert page.locator(f"#trial-table tbody tr.selected[data-number='{number}']").count() == 1
        assert not errors, errors
