"""The Pareto front of a study with constraints in a real browser (Debian's chromium): a trial
that broke them is drawn apart, as optuna-dashboard draws it, never called dominated."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.samplers import is_feasible
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow


def test_a_trial_that_broke_the_constraints_is_drawn_as_infeasible_not_dominated(browser_context, tmp_path):
    # Both objectives trade x against 1 - x: no trial dominates another, and those with x
    # over 0.6 break the constraint. The page called them "dominated".
    store = SQLStorage(f"sqlite:///{tmp_path / 'con.db'}")
    sampler = nntune.samplers.NSGAIISampler(seed=0, constraints_func=lambda t: [t.params["x"] - 0.6])
    study = nntune.create_study(study_name="con", storage=store.url, directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), 1 - t.params["x"]), n_trials=12)
    broke = sorted(t.number for t in study.trials if not is_feasible(t))
    assert broke and len(broke) < 12
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=con")
        traces = drawn(page, "pareto-plot")
        shown = page.evaluate("Object.fromEntries(document.getElementById('pareto-plot').data.map(t => [t.name, t.customdata]))")
    # Named as plot_pareto_front and optuna-dashboard name them (the legend read "infeasible").
    assert [t["name"] for t in traces] == ["Feasible Trial", "Infeasible Trial", "Best Trial"]
    assert sorted(shown["Infeasible Trial"]) == broke and shown["Feasible Trial"] == []
    assert sorted(shown["Best Trial"]) == sorted(t.number for t in study.best_trials)
    assert not errors, errors
