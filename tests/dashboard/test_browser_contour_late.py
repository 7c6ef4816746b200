"""A contour pair picked, then another before the first pair's contour came back: when the
first answer arrived last, the page drew its contour and put its pair back in the selects,
over the pair picked after it."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow

AXES = "() => { const n = document.getElementById('contour-plot'); return [n.layout.xaxis.title.text, n.layout.yaxis.title.text]; }"


def test_a_pair_answered_late_does_not_replace_the_pair_picked_after_it(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'contour.db'}"
    study = nntune.create_study("c", url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: sum(t.suggest_float(n, 0.0, 1.0) for n in ("a", "b", "c")), n_trials=8)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        page.goto(f"{server.url}/study?study=c")
        drawn(page, "contour-plot")
        x, y = page.evaluate(AXES)
        third = ({"a", "b", "c"} - {x, y}).pop()
        first = Held(page, "**/api/contour?*", lambda u: f"x={third}&y={y}" in u)
        page.select_option("#contour-x", third)  # (third, y): held
        first.wait()
        page.select_option("#contour-y", x)  # (third, x): answered at once
        page.wait_for_function(f"() => ({AXES})().join() === '{third},{x}'", timeout=15000)
        first.release()
        assert page.evaluate(AXES) == [third, x]
        assert [page.input_value("#contour-x"), page.input_value("#contour-y")] == [third, x]
        assert not errors
