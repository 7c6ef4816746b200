"""A study deleted while its page is open (``nntune delete``, ``optuna.delete_study``) and
created again under its name, as a script that starts afresh does: the page shows the new
study's trials and plots, never the old one's (its versions count from 0 again)."""

from __future__ import annotations

import time

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.dashboard.live import MIN_REFRESH
from nntune.storage import SQLStorage

from tests.dashboard.test_api import get
from tests.dashboard.test_browser import column, watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow


def run_study(url: str, offset: float) -> nntune.Study:
    study = nntune.create_study(study_name="s", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + t.suggest_float("y", 0.0, 1.0) + offset, n_trials=6)
    return study


def test_the_api_answers_of_a_study_created_again_are_the_new_ones(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'again.db'}")
    run_study(store.url, 0.0)
    with RunningServer(create_app(store)) as server:
        old = {path: get(f"{server.url}/api/{path}?study=s")[1] for path in ("contour", "timeline")}
        nntune.delete_study(study_name="s", storage=store.url)
        time.sleep(MIN_REFRESH)
        assert get(f"{server.url}/api/poll?study=s")[0] == 404
        new = run_study(store.url, 100.0)
        time.sleep(MIN_REFRESH)
        contour = get(f"{server.url}/api/contour?study=s")[1]
        assert contour["version"] == old["contour"]["version"]  # the same count: the cache must not serve the old
        assert sorted(contour["contour"]["value"]) == sorted(t.value for t in new.trials)
        timeline = get(f"{server.url}/api/timeline?study=s")[1]
        assert [r["start"] for r in timeline["rows"]] == [t.datetime_start.isoformat() for t in new.trials]


def test_the_page_of_a_study_created_again_shows_the_new_one(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'again.db'}")
    run_study(store.url, 0.0)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=s")
        page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 6", timeout=20000)
        assert all(float(v) < 2 for v in column(page, 3))
        drawn(page, "edf-plot")
        # Deleted and run again between two polls: the page's next poll finds another study
        # whose version counts the same as the one it showed.
        page.route("**/api/poll*", lambda route: route.abort())
        nntune.delete_study(study_name="s", storage=store.url)
        run_study(store.url, 100.0)
        page.unroute("**/api/poll*")
        page.wait_for_function("() => [...document.querySelectorAll('#trial-table tbody tr td:nth-child(3)')]"
                               ".every(td => Number(td.textContent) > 100)", polling=250, timeout=20000)
        page.wait_for_function("() => (document.getElementById('edf-plot').data || [{x: []}])[0].x"
                               ".every(v => v > 100)", polling=250, timeout=20000)
        assert page.text_content("#status") == "finished"
        # The errors are the aborted polls' and the 404 of the deleted study; nothing else.
        assert all("Failed to load resource" in e or "404" in e for e in errors), errors
