"""Study names as users give them: one of 300 characters wraps in the page's heading instead
of widening the whole page to thousands of pixels, and one holding markup is shown as its
text on every page, never run as HTML. A parameter's name as long wraps in the selected
trial's list of parameters, where its value had to be scrolled to sideways."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

LONG = "resnet50_cifar10_" * 18  # 306 characters without a space or a hyphen to break at
MARKUP = '<img src=x onerror="window.__injected=1">'


def test_a_long_name_wraps_and_a_name_with_markup_stays_text(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'names.db'}"
    for name in (LONG, MARKUP):
        nntune.create_study(name, url).optimize(lambda t: t.suggest_float(name, 0.0, 1.0), n_trials=2)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        for name in (LONG, MARKUP):
            page.goto(f"{server.url}/study?study={quote(name, safe='')}")
            page.wait_for_selector("#trial-table tbody tr", timeout=15000)
            assert page.inner_text("#study-name") == name
            assert page.evaluate("document.documentElement.scrollWidth") <= 1400
            page.wait_for_function("() => document.querySelector('#trial-info p') !== null", timeout=15000)
            assert page.evaluate("(s => s.scrollWidth <= s.clientWidth)(document.getElementById('trial'))")
        page.goto(f"{server.url}/")
        page.wait_for_selector("#studies tbody tr", timeout=15000)
        time.sleep(0.3)
        names = page.eval_on_selector_all("#studies tbody tr td:nth-child(2)", "cells => cells.map(c => c.textContent)")
        assert names == [LONG, MARKUP]
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("window.__injected") is None and not errors
