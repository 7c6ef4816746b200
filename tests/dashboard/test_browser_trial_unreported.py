"""A selected trial that reported no intermediate value (no ``trial.report``) drew empty axes
titled "intermediate values", steps 0 to 6 and values -1 to 4 that no trial had; it gets a
note instead, as optuna-dashboard shows no chart for it, and a trial that reported draws
its values in the same panel."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def objective(trial: nntune.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    if trial.number == 0:  # the only one that reports
        trial.report(x + 0.5, 0)
        trial.report(x + 0.2, 1)
    return x


def test_a_trial_without_reports_gets_a_note_not_empty_axes(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'unreported.db'}"
    nntune.create_study("unreported", url).optimize(objective, n_trials=2)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=unreported")
        page.wait_for_selector("#trial-table tbody tr[data-number='1']", timeout=15000)
        page.click("#trial-table tbody tr[data-number='1']")
        page.wait_for_function("() => /#1\\b/.test(document.getElementById('trial-title').textContent)", timeout=15000)
        page.wait_for_function("() => document.querySelector('#curve-loss p.empty') !== null", timeout=15000)
        assert page.text_content("#curve-loss") == "This trial reported no intermediate values (trial.report)."
        assert page.query_selector("#curve-loss .main-svg") is None
        page.click("#trial-table tbody tr[data-number='0']")
        page.wait_for_function("() => (document.getElementById('curve-loss').data || []).length > 0", timeout=15000)
        drawn: Any = page.evaluate("() => document.getElementById('curve-loss').data[0].x")
        assert drawn == [0, 1] and page.query_selector("#curve-loss p.empty") is None
        assert not errors
