"""A study ticked on the compare page that has no complete trial with a finite value (all
pruned, failed, or none yet) drew no point, no line and no legend entry: it vanished
without a word. The page names it and says why; with nothing to draw at all, the plot
gives way to that note."""

from __future__ import annotations

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage
from nntune.trial import TrialState

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

TRACES = "(document.getElementById('compare-plot').data || []).length"


def test_a_compared_study_with_nothing_to_draw_is_named(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'blank.db'}")
    sid = store.create_study("done", "minimize")
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.5)
    sid = store.create_study("pruned", "minimize")
    store.finish_trial(sid, store.create_trial(sid), TrialState.PRUNED)
    store.create_study("new", "minimize")
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/compare?study=done&study=pruned&study=new")
        page.wait_for_function(f"() => {TRACES} === 6", timeout=10000)
        page.wait_for_function("() => !document.getElementById('compare-note').hidden", timeout=10000)
        assert page.inner_text("#compare-note") == \
            "pruned, new: no complete trial with a finite value yet, so nothing is drawn."

        page.goto(f"{server.url}/compare?study=pruned")
        page.wait_for_function("() => document.querySelector('#compare-plot p.empty') !== null", timeout=10000)
        assert page.inner_text("#compare-plot") == "pruned: no complete trial with a finite value yet, so nothing is drawn."
        assert page.is_hidden("#compare-note")
        assert not errors
