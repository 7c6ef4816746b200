"""The selected trial's answers arriving out of order: a running trial asked for, then asked
again once it finished; when the first answer (still running) arrived last, the panel and
its row said "running" under a trial that had finished, and nothing redrew it after."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

TITLE = "() => document.getElementById('trial-title').textContent"
STATE = "() => document.querySelector(\"#trial-table tbody tr[data-number='1'] td:nth-child(2)\").textContent"


def test_an_answer_from_before_a_trial_finished_does_not_come_back_over_its_end(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'late.db'}"
    study = nntune.create_study("t", url)
    study.enqueue_trial({"x": 0.0})
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    running = study.ask({"x": nntune.distributions.FloatDistribution(0.0, 1.0)})
    running.report(0.5, 0)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        page.goto(f"{server.url}/study?study=t")
        page.wait_for_function(f"() => ({TITLE})().startsWith('#1 · running')", timeout=15000)  # followed
        first = Held(page, "**/api/trial?*", lambda u: u.endswith("number=1"), limit=1)
        page.click("#trial-table tbody tr[data-number='1']")  # asked again: held, as running
        first.wait()
        study.tell(running, 0.25)  # the next poll asks for it again: complete
        page.wait_for_function(f"() => ({TITLE})().startsWith('#1 · complete')", timeout=15000)
        first.release()
        assert page.evaluate(TITLE).startswith("#1 · complete")
        assert page.evaluate(STATE) == "complete"
        assert not errors
