"""A study of several objectives in a real browser (Debian's chromium): the objective picked
beside a plot's title redraws that plot, and only it, with the second objective's values."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage
from nntune.trial import TrialState

from tests.dashboard.test_browser import watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow


def plot_data(page: Any, plot: str, expr: str) -> Any:
    return page.evaluate(f"(() => {{ const p = document.getElementById('{plot}'); return {expr}; }})()")


def test_picking_the_second_objective_redraws_each_plot_with_its_values(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'mo.db'}")
    study = nntune.create_study(study_name="mo", storage=store.url, directions=["maximize", "minimize"],
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["acc", "cost"])
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), 10 + (t.suggest_float("y", 0.0, 1.0) - 0.3) ** 2),
                   n_trials=12)
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    costs = sorted(t.values[1] for t in done)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=mo")
        drawn(page, "contour-plot")
        assert page.inner_text("#contour-objective").split("\n") == ["acc", "cost"]
        assert plot_data(page, "contour-plot", "p.data[0].colorbar.title.text") == "acc"
        first_z = plot_data(page, "contour-plot", "p.data[0].z")
        page.select_option("#contour-objective", "1")
        page.wait_for_function("() => document.getElementById('contour-plot').data[0].colorbar.title.text === 'cost'",
                               timeout=20000)
        assert plot_data(page, "contour-plot", "p.data[0].z") != first_z
        # cost is minimized: its surface's Blues is not reversed (the darkest region the lowest).
        assert plot_data(page, "contour-plot", "p.data[0].reversescale") is False
        # The rank keeps its own pick until changed.
        drawn(page, "rank-plot")
        assert plot_data(page, "rank-plot", "p.data[0].marker.colorbar.title.text") == "rank of acc (0 best)"
        page.select_option("#rank-objective", "1")
        page.wait_for_function("() => document.getElementById('rank-plot').data[0].marker.colorbar.title.text"
                               " === 'rank of cost (0 best)'", timeout=20000)
        drawn(page, "edf-plot")
        assert plot_data(page, "edf-plot", "p.layout.xaxis.title.text") == "acc"
        page.select_option("#edf-objective", "1")
        page.wait_for_function("() => document.getElementById('edf-plot').layout.xaxis.title.text === 'cost'",
                               timeout=20000)
        assert plot_data(page, "edf-plot", "p.data[0].x") == costs
        drawn(page, "slice-x")
        page.select_option("#slices-objective", "1")
        page.wait_for_function("() => document.getElementById('slice-x').layout.yaxis.title.text === 'cost'",
                               timeout=20000)
        assert sorted(plot_data(page, "slice-x", "p.data[0].y")) == costs
        # The parallel coordinates kept the first objective.
        page.evaluate("document.getElementById('parallel-plot').scrollIntoView()")
        page.wait_for_function("() => (document.getElementById('parallel-plot').data || []).length > 0", timeout=20000)
        assert page.evaluate("document.getElementById('parallel-objective').value") == "0"
        assert not errors, errors


def test_an_objective_that_never_varies_is_said_so_not_called_too_few_trials(browser_context, tmp_path):
    """The second objective is the same for every trial (a model size the search never
    changes): its importance has nothing to explain, though the trials are many enough."""
    store = SQLStorage(f"sqlite:///{tmp_path / 'flat.db'}")
    study = nntune.create_study(study_name="flat", storage=store.url, directions=["minimize", "minimize"],
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["loss", "size"])
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0) + t.suggest_float("y", 0.0, 1.0), 5.0), n_trials=12)
    few = nntune.create_study(study_name="few", storage=store.url, sampler=nntune.samplers.RandomSampler(seed=0))
    few.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=flat")
        drawn(page, "importance-plot")
        page.select_option("#importance-objective", "1")
        page.wait_for_selector("#importance-plot p.empty", timeout=20000)
        assert page.inner_text("#importance-plot") == ("The 12 complete trials all have one size: "
                                                      "there is no variation for the importance to explain.")
        page.goto(f"{server.url}/study?study=few")
        page.wait_for_selector("#importance-plot p.empty", timeout=20000)
        assert page.inner_text("#importance-plot") == "Importance needs at least 8 complete trials (3 so far)."
        assert not errors, errors
