"""A categorical parameter of bools read "true" and "false" in the trial table and the
selected trial's parameters, where the report, ``nntune show`` and the slices' own axis say
"True" and "False" (Python's words, as the page already says "None" for None)."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def objective(trial: nntune.Trial) -> float:
    flag = trial.suggest_categorical("flag", [True, False, None])
    return {True: 1.0, False: 2.0, None: 3.0}[flag]


def test_bool_choices_read_as_python_spells_them(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'bools.db'}"
    study = nntune.create_study("bools", url)
    for flag in (True, False, None):
        study.enqueue_trial({"flag": flag})
    study.optimize(objective, n_trials=3)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=bools")
        page.wait_for_selector("#trial-table tbody tr[data-number='2']", timeout=15000)
        cells = [page.text_content(f"#trial-table tbody tr[data-number='{n}'] td:last-child") for n in range(3)]
        assert cells == ["True", "False", "None"]
        page.click("#trial-table tbody tr[data-number='1']")
        page.wait_for_function("() => /#1\\b/.test(document.getElementById('trial-title').textContent)", timeout=15000)
        page.wait_for_function("() => document.getElementById('trial-info').textContent.includes('flag=')", timeout=15000)
        assert "Parameters: flag=False" in page.text_content("#trial-info")
        assert not errors
