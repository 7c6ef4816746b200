"""Objectives named (``set_metric_names``) after the page first read the study: the history's
and the Pareto front's pickers take the new names, as the other plots' pickers and the
study's heading do, instead of keeping "objective 0" until the page is reloaded."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow


def options(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} option", "os => os.map(o => o.textContent)")


def test_names_given_later_reach_the_history_and_pareto_pickers(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'named.db'}"
    study = nntune.create_study("mo", url, directions=["minimize", "maximize", "minimize"],
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1), t.params["x"] * t.params["y"]),
                   n_trials=6)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=mo")
        page.wait_for_function("() => document.querySelectorAll('#pareto-x option').length === 3", timeout=15000)
        page.select_option("#pareto-y", "2")
        assert options(page, "#history-objective")[0] == "objective 0 (minimize)"
        study.set_metric_names(["loss", "accuracy", "cost"])
        page.wait_for_function("() => document.getElementById('pareto-x').options[0].textContent === 'loss'", timeout=15000)
        page.wait_for_function("() => document.getElementById('history-objective').options[0].textContent === 'loss (minimize)'",
                               timeout=15000)
        assert options(page, "#history-objective") == ["loss (minimize)", "accuracy (maximize)", "cost (minimize)"]
        assert options(page, "#pareto-y") == ["loss", "accuracy", "cost"]
        assert page.input_value("#pareto-y") == "2" and errors == []  # the pick kept
