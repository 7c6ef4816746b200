"""Nine studies ticked on the studies page and compared: the compare page draws the first
eight (the API's limit) and says so, where it drew nothing and logged a 400 every two
seconds; a ninth ticked later stays unticked until one of the eight is let go."""

from __future__ import annotations

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage
from nntune.trial import TrialState

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

TRACES = "(document.getElementById('compare-plot').data || []).length"


def traced(page) -> list[str]:
    return page.evaluate("document.getElementById('compare-plot').data.filter((t, i) => i % 2 === 0).map(t => t.name)")


def test_nine_studies_compare_as_the_first_eight_and_a_ninth_waits_for_room(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'nine.db'}")
    names = [f"s{i}" for i in range(9)]
    for i, name in enumerate(names):
        sid = store.create_study(name, "minimize")
        store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, float(i))
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/compare?" + "&".join(f"study={n}" for n in names))
        page.wait_for_function(f"() => {TRACES} === 16", timeout=10000)
        assert [t.split(" ")[0] for t in traced(page)] == names[:8]
        assert "first 8 of the 9 asked for" in page.inner_text("#pick-note")
        page.wait_for_selector("#pick input[value='s8']")
        page.click("#pick input[value='s8']")
        assert not page.is_checked("#pick input[value='s8']")
        assert page.inner_text("#pick-note") == "At most 8 studies are compared at once: untick one to add s8."
        page.click("#pick input[value='s0']")
        page.click("#pick input[value='s8']")
        page.wait_for_function(f"() => {TRACES} === 16 && document.getElementById('compare-plot').data[14].name.startsWith('s8')",
                               timeout=10000)
        assert page.is_hidden("#pick-note") and errors == []
