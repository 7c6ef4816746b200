"""Slices of parameters no trial with a value used were drawn as empty axes with no word of
why: a study whose trials were all pruned before reporting, and a branch of a conditional
parameter only a failed trial took. As in the report, such a slice is left out, and a study
with no point to draw at all says so."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def pruned_at_once(trial: nntune.Trial) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    raise nntune.TrialPruned()


def branch_failed(trial: nntune.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    if trial.number == 1:  # the only trial on this branch, and it fails
        trial.suggest_int("depth", 1, 4)
        raise ValueError("out of memory")
    return x


def open_slices(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/study?study={name}")
    page.wait_for_selector("#trial-table tbody tr", timeout=15000)
    page.evaluate("() => document.getElementById('slices').scrollIntoView()")


def test_slices_without_points_are_left_out_or_said_empty(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'slices.db'}"
    nntune.create_study("pruned", url).optimize(pruned_at_once, n_trials=3)
    nntune.create_study("branch", url).optimize(branch_failed, n_trials=3, catch=(ValueError,))
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        open_slices(page, server.url, "pruned")
        page.wait_for_function("() => document.querySelector('#slices-plots p.empty') !== null", timeout=15000)
        assert page.text_content("#slices-plots") == "No trial has finished with a value yet."
        assert page.query_selector("#slices-plots .main-svg") is None

        open_slices(page, server.url, "branch")
        page.wait_for_function("() => (document.getElementById('slice-x') || {}).data !== undefined", timeout=15000)
        ids: Any = page.evaluate("() => [...document.getElementById('slices-plots').children].map((c) => c.id)")
        assert ids == ["slice-x"]
        assert not errors
