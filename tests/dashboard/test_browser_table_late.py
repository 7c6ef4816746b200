"""The trial table's answers arriving out of order: a sort (or a page) asked for, then another
before the first came back; the first answer, late, replaced the rows of the one asked last
under its header, so the table read sorted by number while its rows were in order of value."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import column, watch_console

pytestmark = pytest.mark.slow

VALUES = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2]


def served(tmp_path: Any) -> str:
    url = f"sqlite:///{tmp_path / 'table.db'}"
    study = nntune.create_study("t", url)
    for v in VALUES:
        study.enqueue_trial({"x": v})
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=len(VALUES))
    return url


def test_a_sort_answered_late_does_not_replace_the_sort_asked_after_it(browser_context, tmp_path):
    with RunningServer(create_app(SQLStorage(served(tmp_path)))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        page.goto(f"{server.url}/study?study=t")
        page.wait_for_selector("#trial-table tbody tr[data-number='5']", timeout=15000)
        by_value = Held(page, "**/api/trials?*", lambda url: "sort=value" in url)
        page.click("#trial-table th[data-sort='value']")
        by_value.wait()
        page.click("#trial-table th[data-sort='number']")  # number, ascending
        page.wait_for_selector("#trial-table th.sorted-asc[data-sort='number']", timeout=15000)
        page.wait_for_function("() => document.querySelector('#trial-table tbody tr').dataset.number === '0'", timeout=15000)
        by_value.release()
        assert column(page, 1) == ["0", "1", "2", "3", "4", "5"]
        assert page.get_attribute("#trial-table th[data-sort='number']", "class") == "sortable sorted-asc"
        assert not errors

