"""Complete trials valued inf or -inf are left out of the plots (as Optuna's plots leave them
out), and the notes said nothing of them: a study of ten complete trials, every one -inf,
read "No complete or pruned trial yet", "No complete trial yet" and "(0 so far)". The notes
now count the complete trials an infinite value left out."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow
OPEN = "() => S.overviewVersion === S.version && !!document.querySelector('#importance-plot p.empty')"


def note(page, plot: str) -> str:
    page.evaluate(f"document.getElementById('{plot}').scrollIntoView()")
    return page.inner_text(f"#{plot}")


def test_the_notes_count_the_trials_an_infinite_value_left_out(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'inf.db'}"
    some = [0.5, float("inf"), 0.25, float("-inf"), float("inf")]
    nntune.create_study("some", url).optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + some[t.number], n_trials=5)
    nntune.create_study("every", url).optimize(lambda t: t.suggest_float("x", 0, 1) * 0 - float("inf"), n_trials=10)
    two = nntune.create_study("two", url, directions=["minimize", "maximize"])
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), float("inf") if t.number % 2 else 1.0), n_trials=5)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=some")
        page.wait_for_function(OPEN, timeout=20000)
        page.evaluate("document.getElementById('edf-plot').scrollIntoView()")
        page.wait_for_function("() => (document.getElementById('edf-plot').data || []).length > 0", timeout=15000)
        assert page.inner_text("#edf-note") == ("The share of the 2 complete trials with value at or below each value. "
                                                "3 complete trials with an infinite value are left out.")
        assert note(page, "importance-plot") == ("Importance needs at least 8 complete trials (2 so far). "
                                                 "3 complete trials with an infinite value are left out.")

        page.goto(f"{server.url}/study?study=every")
        page.wait_for_function(OPEN, timeout=20000)
        everything = "All 10 complete trials have an infinite value: there is nothing to draw."
        assert note(page, "history-plot") == everything
        assert note(page, "edf-plot") == everything
        assert note(page, "parallel-plot") == ("Two complete trials are needed. "
                                               "10 complete trials with an infinite value are left out.")
        assert note(page, "importance-plot") == ("Importance needs at least 8 complete trials (0 so far). "
                                                 "10 complete trials with an infinite value are left out.")

        # Of several objectives: the count is the picked objective's (the second is inf in two trials of five).
        page.goto(f"{server.url}/study?study=two")
        # Both versions start at -1: equal before the page has read anything, so the note is waited for.
        page.wait_for_function("() => S.version >= 0 && S.overviewVersion === S.version"
                               " && document.getElementById('edf-note').textContent !== ''", timeout=20000)
        page.evaluate("document.getElementById('edf-plot').scrollIntoView()")
        assert page.inner_text("#edf-note") == "The share of the 5 complete trials with objective 0 at or below each value."
        page.select_option("#edf-objective", "1")
        page.wait_for_function("() => document.getElementById('edf-note').textContent.includes('objective 1')", timeout=15000)
        assert page.inner_text("#edf-note") == ("The share of the 3 complete trials with objective 1 at or below each value. "
                                                "2 complete trials with an infinite value are left out.")
        assert not errors
