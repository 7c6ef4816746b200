"""Trials added with ``study.add_trial(create_trial(...))`` start and end at once: their
timeline bars had no length and drew nothing. Each bar too short to see gets a dot at its
start, in its state's colour and legend group; a bar of visible length gets none."""

from __future__ import annotations

import time
from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.distributions import FloatDistribution
from nntune.storage import SQLStorage
from nntune.trial import TrialState, create_trial

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow
X = {"x": FloatDistribution(0.0, 1.0)}


def timeline(page: Any, server: Any, study: str) -> list[dict[str, Any]]:
    page.goto(f"{server.url}/study?study={study}")
    page.wait_for_selector("#trial-table tbody tr", timeout=15000)
    page.evaluate("document.getElementById('timeline-plot').scrollIntoView()")
    page.wait_for_function("() => (document.getElementById('timeline-plot').data || []).length > 0", timeout=20000)
    return page.evaluate("""document.getElementById('timeline-plot').data.map(t => ({name: t.name, mode: t.mode,
        group: t.legendgroup, legend: t.showlegend !== false, y: t.y.filter(v => v !== null)}))""")


def test_added_trials_are_drawn_as_dots_beside_bars_of_run_trials(browser_context, tmp_path, screenshots):
    url = f"sqlite:///{tmp_path / 'added.db'}"
    study = nntune.create_study("added", url)

    def objective(trial: Any) -> float:
        time.sleep(0.3)
        return trial.suggest_float("x", 0.0, 1.0)
    study.optimize(objective, n_trials=2)  # trials 0 and 1: bars of 0.3 s
    study.add_trial(create_trial(params={"x": 0.5}, distributions=X, value=0.5))  # 2
    study.add_trial(create_trial(params={"x": 0.7}, distributions=X, state=TrialState.FAIL))  # 3
    one = nntune.create_study("one", url)  # a single added trial: a timeline of no span at all
    one.add_trial(create_trial(params={"x": 0.1}, distributions=X, value=0.1))
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        traces = timeline(page, server, "added")
        page.locator("#timeline-plot").screenshot(path=str(screenshots / "timeline-added.png"))
        dots = {t["name"]: t for t in traces if t["mode"] == "markers"}
        assert {n: t["y"] for n, t in dots.items()} == {"complete": [2], "failed": [3]}
        assert all(t["group"] == t["name"] and not t["legend"] for t in dots.values())
        lines = {t["name"]: t for t in traces if t["mode"] == "lines"}
        assert lines["complete"]["y"] == [0, 0, 1, 1, 2, 2] and lines["complete"]["group"] == "complete"
        assert [(t["name"], t["y"]) for t in timeline(page, server, "one") if t["mode"] == "markers"] == [("complete", [0])]
        assert not errors
