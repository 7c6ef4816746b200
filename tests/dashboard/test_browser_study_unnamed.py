"""The study page opened without a study's name (``/study``, a link cut short): the heading
says to name one, and the page does not ask the API for a study named nothing every second
(a 400 logged to the console each time, the heading left blank)."""

from __future__ import annotations

import time

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def test_a_study_page_without_a_name_says_to_name_one(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'unnamed.db'}")
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        for path in ("/study", "/study?study="):
            page.goto(f"{server.url}{path}")
            page.wait_for_function("() => document.getElementById('status').textContent !== ''", timeout=10000)
            time.sleep(1.5)  # a poll's second: nothing asked
            assert page.inner_text("#status") == "no study named"
            assert page.inner_text("#study-line").startswith("Name one in the address (/study?study=NAME)")
        assert errors == []
