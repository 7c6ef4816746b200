"""A study whose only trials were pruned before they reported a value said "No complete or
pruned trial yet." over its empty history, beside a table of pruned trials; it says what the
report says: no trial has finished with a value."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def pruned_at_once(trial: nntune.Trial) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    raise nntune.TrialPruned()


def test_history_of_pruned_trials_without_values_does_not_say_there_are_none(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'pruned.db'}"
    nntune.create_study("pruned", url).optimize(pruned_at_once, n_trials=3)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=pruned")
        page.wait_for_selector("#trial-table tbody tr[data-number='2']", timeout=15000)
        page.wait_for_function("() => document.querySelector('#history-plot p.empty') !== null", timeout=15000)
        assert page.text_content("#history-plot") == "No trial has finished with a value yet."
        assert not errors
