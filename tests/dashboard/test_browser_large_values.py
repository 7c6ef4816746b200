"""Large values on the pages: a loss of 1e20 is a whole number to JavaScript, and was written
out in its 21 digits (4e298 in 17 digits and an exponent); it reads 1.000e+20 as any large
value does, while a whole number every digit of which is exact (units, epochs) stays in full."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import column, watch_console

pytestmark = pytest.mark.slow


def test_a_huge_value_is_written_with_an_exponent_and_a_whole_parameter_in_full(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'large.db'}"
    study = nntune.create_study("blowup", url)
    values = {4096: 1e20, 123456: 4.1e298}
    for units in values:
        study.enqueue_trial({"units": units})
    study.optimize(lambda t: values[t.suggest_int("units", 1, 200000)], n_trials=2)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/")
        page.wait_for_selector("#studies tbody tr", timeout=15000)
        assert page.inner_text("#studies tbody tr td:nth-child(6)") == "1.000e+20"
        page.goto(f"{server.url}/study?study=blowup")
        page.wait_for_selector("#trial-table tbody tr", timeout=15000)
        assert column(page, 3) == ["4.100e+298", "1.000e+20"]  # newest first
        assert column(page, 7) == ["123456", "4096"]
        assert "value 1.000e+20" in page.inner_text("#best-line") and not errors
