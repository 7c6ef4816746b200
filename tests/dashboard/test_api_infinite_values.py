"""Trials valued ``inf`` or ``-inf`` (Optuna takes them as values): strict JSON wrote them as
null, so the table, the selected trial and the studies list showed such a complete trial
without a value ("–"), and the best line named the best finite trial where
``study.best_trial`` is a ``-inf`` one. They travel as "inf" and "-inf", as optuna-dashboard's
API carries them, and the best line is ``study.best_trial``'s."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_api import get
from tests.dashboard.test_browser import watch_console

VALUES = [0.5, float("-inf"), 0.25, float("inf"), 0.75]


def _studies(url: str) -> nntune.Study:
    study = nntune.create_study("infs", url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + VALUES[t.number], n_trials=len(VALUES))
    multi = nntune.create_study("multi-infs", url, directions=["minimize", "maximize"])
    multi.optimize(lambda t: (t.suggest_float("x", 0, 1), float("inf")), n_trials=2)
    return study


def test_infinite_values_are_carried_as_text_and_the_best_is_study_best_trial(tmp_path):
    url = f"sqlite:///{tmp_path / 'infs.db'}"
    study = _studies(url)
    assert study.best_trial.number == 1 and study.best_value == float("-inf")
    with RunningServer(create_app(SQLStorage(url))) as server:
        code, poll, _ = get(f"{server.url}/api/poll?study=infs&since=0")
        assert code == 200 and poll["best"]["number"] == 1 and poll["best"]["value"] == "-inf"
        code, table, _ = get(f"{server.url}/api/trials?study=infs&sort=number&order=asc")
        assert [r["value"] for r in table["rows"]] == [0.5, "-inf", 0.25, "inf", 0.75]
        assert [r["values"] for r in table["rows"]][1] == ["-inf"]
        code, trial, _ = get(f"{server.url}/api/trial?study=infs&number=3")
        assert code == 200 and trial["value"] == "inf" and trial["values"] == ["inf"]
        code, multi, _ = get(f"{server.url}/api/trials?study=multi-infs")
        assert all(r["values"][1] == "inf" for r in multi["rows"])
        code, studies, _ = get(f"{server.url}/api/studies")
        assert {s["name"]: s["best_value"] for s in studies["studies"]}["infs"] == "-inf"


@pytest.mark.slow
def test_the_pages_show_infinite_values(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'infs.db'}"
    _studies(url)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors: list[str] = watch_console(page)
        page.goto(f"{server.url}/study?study=infs")
        page.wait_for_selector("#trial-table tbody tr", timeout=15000)
        page.wait_for_function("() => /#1\\b/.test(document.getElementById('trial-title').textContent)", timeout=15000)
        cells: list[Any] = page.eval_on_selector_all("#trial-table tbody tr td:nth-child(3)", "cs => cs.map(c => c.textContent)")
        assert cells == ["0.7500", "inf", "0.2500", "-inf", "0.5000"]  # newest first
        assert page.text_content("#best-line") == "best: trial #1, value -inf"
        assert "value -inf" in page.text_content("#trial-title")
        page.goto(f"{server.url}/")
        page.wait_for_selector("#studies tbody tr[data-study='infs']", timeout=15000)
        assert page.text_content("#studies tbody tr[data-study='infs'] td:nth-child(6)") == "-inf"
        assert not errors
