"""Large values on the pages: a loss of 1e20 is a whole number to JavaScript, and was written
out in its 21 digits (4e298 in 17 digits and an exponent); it reads 1.000e+20 as any large
value does, while a whole number every digit of which is exact (units, epochs) stays in full."""

from __future__ import annotations

import re
from typing import Any

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


def test_the_importance_of_a_study_with_values_near_1e300_is_measured(browser_context, tmp_path):
    # The forest's squared errors overflowed: the panel read "fit R² –" over equal bars.
    url = f"sqlite:///{tmp_path / 'huge.db'}"
    study = nntune.create_study("huge", url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("y", 1, 10) + (1e300 if t.suggest_float("x", 0, 1) > 0.5 else 0),
                   n_trials=30)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=huge")
        bars = drawn_bars(page, "importance-plot")
        assert bars["y"][-1] == "x" and bars["x"][-1] > 0.9  # the largest is drawn on top
        note = page.inner_text("#importance-note")
        assert re.search(r"fit R² 0\.\d{3}", note), note
        assert not errors


def drawn_bars(page: Any, plot: str) -> dict[str, list[Any]]:
    page.wait_for_function("() => S.overviewVersion === S.version", polling=200, timeout=20000)
    page.evaluate(f"document.getElementById('{plot}').scrollIntoView()")
    page.wait_for_function(f"() => (document.getElementById('{plot}').data || []).length > 0", timeout=20000)
    return page.evaluate(f"(({{x, y}}) => ({{x, y}}))(document.getElementById('{plot}').data[0])")
