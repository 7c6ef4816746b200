"""A contour pair picked by hand, then the study deleted and run again under its name with
other parameters (a notebook that starts afresh after renaming one): the page drops the old
pick and draws the new study's default pair, where it kept asking for parameters the new
study lacks (a 400 at every refresh) and left the old study's contour on the page."""

from __future__ import annotations

import time

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.dashboard.live import MIN_REFRESH
from nntune.storage import SQLStorage

from tests.dashboard.test_api import get
from tests.dashboard.test_browser import watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow

AXIS_TITLES = "() => { const n = document.getElementById('contour-plot'); return n && n.layout ? " \
              "[n.layout.xaxis.title.text, n.layout.yaxis.title.text].join() : ''; }"


def run(url: str, names: tuple[str, str, str], n_trials: int = 8) -> None:
    study = nntune.create_study("s", url, sampler=nntune.samplers.RandomSampler(seed=0), load_if_exists=True)
    study.optimize(lambda t: sum(t.suggest_float(n, 0.0, 1.0) for n in names), n_trials=n_trials)


def new_default(url: str) -> list[str]:
    """The new study's default pair once the server has summarized all of its trials (before,
    the pair is the first two parameters, or the two most important of the trials it had seen
    when a page asked in the middle of the run)."""
    deadline = time.monotonic() + 10
    while True:
        # The overview first: a contour asked before it is built takes the first two parameters.
        overview = get(f"{url}/api/overview?study=s")[1]
        code, body, _ = get(f"{url}/api/contour?study=s")
        if code == 200 and body["params"] == ["a", "b", "c"] and overview.get("version") == body["version"] \
                and overview.get("importance", {}).get("importance"):
            return body["pair"]
        assert time.monotonic() < deadline, body
        time.sleep(MIN_REFRESH)


def test_a_pair_picked_by_hand_gives_way_to_the_new_studys_default(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'pair.db'}"
    run(url, ("x", "y", "z"))
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=s")
        drawn(page, "contour-plot")
        page.select_option("#contour-x", "z")
        page.wait_for_function(f"() => ({AXIS_TITLES})() === 'z,y'", timeout=15000)
        page.route("**/api/poll*", lambda route: route.abort())  # deleted and run again between two polls
        nntune.delete_study(study_name="s", storage=url)
        run(url, ("a", "b", "c"), n_trials=4)
        # A page asks in the middle of the run: the server summarizes the trials it has so far
        # (once it reads the storage again, finds the old study gone, 404, and reads the new one).
        time.sleep(MIN_REFRESH)
        deadline = time.monotonic() + 10
        while get(f"{server.url}/api/overview?study=s")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(MIN_REFRESH)
        run(url, ("a", "b", "c"), n_trials=6)
        page.unroute("**/api/poll*")
        pair = new_default(server.url)  # by the importance the server measured
        page.wait_for_function(f"() => ({AXIS_TITLES})() === '{','.join(pair)}'", polling=250, timeout=20000)
        assert [page.input_value("#contour-x"), page.input_value("#contour-y")] == pair
        # The aborted polls' errors and the deleted study's 404; no 400 of a pair it lacks.
        assert all("Failed to load resource" in e and "400" not in e for e in errors), errors
