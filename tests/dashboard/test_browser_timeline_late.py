"""The timeline read while a trial ran, answered after the one read once it finished: the
older read was drawn over the newer, and the timeline showed the trial running (a bar to
now) after it had ended, until the study changed again."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

STATES = "() => (document.getElementById('timeline-plot').data || []).filter(t => t.mode !== 'markers').map(t => t.name).join()"


def test_a_timeline_read_before_a_trial_ended_does_not_replace_a_newer_one(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'timeline.db'}"
    study = nntune.create_study("t", url)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    running = study.ask({"x": nntune.distributions.FloatDistribution(0.0, 1.0)})
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        first = Held(page, "**/api/timeline?*", limit=1)  # the first read, the trial running
        page.goto(f"{server.url}/study?study=t")
        page.wait_for_selector("#timeline-plot", timeout=15000)
        page.evaluate("document.getElementById('timeline').scrollIntoView()")
        first.wait()
        study.tell(running, 0.5)  # the overview read anew reads the timeline again
        page.wait_for_function(f"() => ({STATES})() === 'complete'", timeout=15000)
        first.release()
        assert page.evaluate(STATES) == "complete"
        assert not errors
