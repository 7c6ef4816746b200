"""A study of several objectives, another objective picked for its history: when that read
came back after the study had gained a trial (and the page had drawn the newer history), the
older one was drawn over it, and the history lacked the new trial until the study changed
again."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

POINTS = "() => (document.getElementById('history-plot').data || [{x: []}])[0].x.length"


def objective(trial: nntune.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    return x, (x - 0.3) ** 2


def test_an_objectives_history_answered_late_does_not_replace_a_newer_one(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    study = nntune.create_study("mo", url, directions=["maximize", "minimize"], sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["acc", "cost"])
    study.optimize(objective, n_trials=6)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        page.goto(f"{server.url}/study?study=mo")
        page.wait_for_function(f"() => ({POINTS})() === 6", timeout=15000)
        first = Held(page, "**/api/history?*", limit=1)
        page.select_option("#history-objective", "1")  # cost: read as of six trials, held
        first.wait()
        study.optimize(objective, n_trials=1)  # the next poll reads the history again
        page.wait_for_function(f"() => ({POINTS})() === 7 && document.getElementById('history-plot').layout.yaxis.title.text === 'cost'",
                               timeout=15000)
        first.release()
        assert page.evaluate(POINTS) == 7
        assert not errors
