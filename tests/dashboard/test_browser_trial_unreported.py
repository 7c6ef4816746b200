"""A selected trial that reported no intermediate value (no ``trial.report``) drew empty axes
titled "intermediate values", steps 0 to 6 and values -1 to 4 that no trial had; it gets a
note instead, as optuna-dashboard shows no chart for it, and a trial that reported draws
its values in the same panel. The same panel lists its user attributes as their text: NaN
as "nan" and None as "null", as the report and optuna-dashboard show them, not as "–"."""

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
    else:
        trial.set_user_attr("loss_at_1", float("nan"))
        trial.set_user_attr("skipped", None)
        trial.set_user_attr("shape", {"grad": float("inf")})
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
        page.click("#trial-info details summary")
        attrs = page.eval_on_selector_all("#trial-info details[open] tr", "rs => rs.map(r => r.innerText)")
        assert attrs == ["loss_at_1\tnan", "skipped\tnull", 'shape\t{"grad": Infinity}']
        page.click("#trial-table tbody tr[data-number='0']")
        page.wait_for_function("() => (document.getElementById('curve-loss').data || []).length > 0", timeout=15000)
        drawn: Any = page.evaluate("() => document.getElementById('curve-loss').data[0].x")
        assert drawn == [0, 1] and page.query_selector("#curve-loss p.empty") is None
        assert not errors


def test_a_slow_plotly_does_not_draw_the_trial_shown_before_over_the_note(browser_context, tmp_path):
    """The page opens on the best trial, which reported; its draw waits for plotly.js to load.
    A click on a trial that reported nothing showed the note, and when plotly.js arrived the
    first trial's curve replaced it under the second trial's title."""
    url = f"sqlite:///{tmp_path / 'unreported.db'}"
    study = nntune.create_study("unreported", url)
    study.enqueue_trial({"x": 0.0})  # trial 0, the best, reports
    study.enqueue_trial({"x": 1.0})
    study.optimize(objective, n_trials=2)
    held: list[Any] = []
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.route("**/static/plotly.min.js", lambda route: held.append(route))  # answered only once the click is done
        page.goto(f"{server.url}/study?study=unreported")
        page.wait_for_function("() => /#0\\b/.test(document.getElementById('trial-title').textContent)", timeout=15000)
        page.click("#trial-table tbody tr[data-number='1']")
        page.wait_for_function("() => document.querySelector('#curve-loss p.empty') !== null", timeout=15000)
        assert held, "plotly.js was not asked for"
        for route in held:
            route.continue_()
        page.wait_for_function("() => window.Plotly !== undefined", timeout=15000)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0", timeout=15000)
        page.wait_for_timeout(500)  # any draw still waiting on plotly.js has run by now
        assert page.text_content("#trial-title").startswith("#1 ")
        assert page.text_content("#curve-loss") == "This trial reported no intermediate values (trial.report)."
        assert page.query_selector("#curve-loss .main-svg") is None
        assert not errors
