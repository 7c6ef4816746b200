"""A study of several objectives, another objective picked for its slices: when the answer
for it came back after the study had gained a trial (and the page had drawn the newer one),
the older answer was drawn over it, and the slices lacked the new trial until the study
changed again."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

POINTS = "() => (document.getElementById('slice-x').data || []).reduce((n, t) => n + t.x.length, 0)"


def objective(trial: nntune.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    return x, (x - 0.3) ** 2


def test_an_objectives_slices_answered_late_do_not_replace_newer_ones(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    study = nntune.create_study("mo", url, directions=["maximize", "minimize"], sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["acc", "cost"])
    study.optimize(objective, n_trials=6)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        page.goto(f"{server.url}/study?study=mo")
        page.wait_for_selector("#slice-x", state="attached", timeout=15000)
        page.evaluate("document.getElementById('slices').scrollIntoView()")
        page.wait_for_function(f"() => ({POINTS})() === 6", timeout=15000)
        first = Held(page, "**/api/plots?*", limit=1)
        page.select_option("#slices-objective", "1")  # cost: answered as of six trials, held
        first.wait()
        study.optimize(objective, n_trials=1)  # the overview read anew asks for cost's plots again
        page.wait_for_function(f"() => ({POINTS})() === 7 && document.getElementById('slice-x').layout.yaxis.title.text === 'cost'",
                               timeout=15000)
        first.release()
        assert page.evaluate(POINTS) == 7
        assert not errors
