"""The studies page had neither the search nor the sorting optuna-dashboard's list has: with
dozens of studies in a storage, finding one meant scrolling. A box filters the list by a part
of the name as it is typed (kept across the page's refreshes), a click on a column sorts by it
and a second click the other way, studies without the value sorted on last either way; a
study ticked for compare stays ticked while filtered out of sight."""

from __future__ import annotations

import time
from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def names(page: Any) -> list[str]:
    return page.eval_on_selector_all("#studies tbody tr", "rows => rows.map(r => r.dataset.study)")


def test_the_studies_list_is_searched_and_sorted(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'list.db'}"
    for name, values in (("mnist-a", [0.3, 0.2]), ("cifar", [0.9]), ("mnist-b", [0.1, 0.5, 0.7]),
                         ("diverging", [float("-inf")])):
        study = nntune.create_study(name, url)
        for v in values:
            study.optimize(lambda t, v=v: t.suggest_float("x", 0, 1) * 0 + v, n_trials=1)
    nntune.create_study("empty", url)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/")
        page.wait_for_selector("#studies tbody tr[data-study='empty']", timeout=15000)
        assert names(page) == ["mnist-a", "cifar", "mnist-b", "diverging", "empty"]  # the storage's order
        page.click("#studies th[data-sort='best_value']")
        assert names(page) == ["diverging", "mnist-b", "mnist-a", "cifar", "empty"]  # -inf first, no value last
        assert page.get_attribute("#studies th[data-sort='best_value']", "class") == "num sortable sorted-asc"
        page.click("#studies th[data-sort='best_value']")
        assert names(page) == ["cifar", "mnist-a", "mnist-b", "diverging", "empty"]
        page.click("#studies th[data-sort='n_trials']")
        assert names(page)[:2] == ["empty", "cifar"] and names(page)[-1] == "mnist-b"
        page.click("#studies th[data-sort='name']")
        assert names(page) == ["cifar", "diverging", "empty", "mnist-a", "mnist-b"]

        page.check("#studies tr[data-study='cifar'] input[type=checkbox]")
        page.fill("#study-search", "MNIST")
        assert names(page) == ["mnist-a", "mnist-b"]
        time.sleep(2.5)  # a refresh of the list keeps the filter and the sort
        assert names(page) == ["mnist-a", "mnist-b"]
        page.check("#studies tr[data-study='mnist-b'] input[type=checkbox]")
        page.fill("#study-search", "nothing like it")
        assert names(page) == [] and page.inner_text("#empty") == 'No study\'s name holds "nothing like it".'
        page.fill("#study-search", "")
        assert len(names(page)) == 5
        with page.expect_navigation():
            page.click("#compare-selected")
        assert page.url.endswith("/compare?study=cifar&study=mnist-b")
        assert not errors
