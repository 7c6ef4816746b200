"""A study deleted and created again under its name, with no trial yet: the selected-trial
panel kept the deleted study's trial (its title, curves, parameters and findings) under the
new study's heading, as if the new study had that trial."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def objective(trial: nntune.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(x + 0.5, 0)
    trial.report(x, 1)
    return x


def test_a_study_created_again_empty_shows_no_trial_of_the_old_one(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'again.db'}"
    nntune.create_study("s", url).optimize(objective, n_trials=2)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=s")
        page.wait_for_function("() => /^#\\d/.test(document.getElementById('trial-title').textContent)", timeout=15000)
        page.wait_for_function("() => (document.getElementById('curve-loss').data || []).length > 0", timeout=15000)
        nntune.delete_study(study_name="s", storage=url)
        nntune.create_study("s", url)
        page.wait_for_function("() => document.getElementById('status').textContent === 'no trials yet'", timeout=15000)
        page.wait_for_function("() => document.getElementById('trial-title').textContent === '(none yet)'", timeout=15000)
        assert page.query_selector("#curve-loss .main-svg") is None
        assert page.text_content("#trial-info") == ""
        assert page.text_content("#trial-findings") == ""
        # The deleted study's 404 if a poll came between the deletion and the creation.
        assert all("404" in e for e in errors), errors
