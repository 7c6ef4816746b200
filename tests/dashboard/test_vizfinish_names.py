"""The study page's and the compare page's plots name their parts as plot_* and the report do
(Optuna's words), in a real browser (Debian's chromium): the history's "Best Value", the
importance's "Hyperparameter Importance", the EDF's "Cumulative Probability", and a
contour over a choice drawn over its labels with the surface plot_contour draws."""

from __future__ import annotations

import pytest

import nntune
import nntune.visualization as vis
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_browser import watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow

OFFSET = {"a": 0.0, "b": 2.0, "c": 5.0}


def test_the_pages_plots_read_as_the_python_plots_do(browser_context, tmp_path):
    # The page said "best so far", "share of importance", "share of complete trials" and
    # "<study>: best so far" where plot_optimization_history, plot_param_importances and
    # plot_edf (and the report) say "Best Value", "Hyperparameter Importance",
    # "Cumulative Probability" and "Best Value of <study>".
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="kinds", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + OFFSET[t.suggest_categorical("kind", ["a", "b", "c"])],
                   n_trials=12)
    # Drawn before the server's thread starts (both would import pandas at once).
    history = [tr.name for tr in vis.plot_optimization_history(study).data]
    ours = {pair: next(tr for tr in vis.plot_contour(study, params=list(pair)).data if tr.type == "contour")
            for pair in (("x", "kind"), ("kind", "x"))}
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=kinds")
        names = [t["name"] for t in drawn(page, "history-plot")]
        assert "Best Value" in names and "Best Value" in history
        drawn(page, "importance-plot")
        title = "(p => document.getElementById(p).layout.{}.title.text)('{}')"
        assert page.evaluate(title.format("xaxis", "importance-plot")) == "Hyperparameter Importance"
        drawn(page, "edf-plot")
        assert page.evaluate(title.format("yaxis", "edf-plot")) == "Cumulative Probability"
        # The pair is a number and a choice: the surface of plot_contour, over the labels.
        assert [t["type"] for t in drawn(page, "contour-plot")] == ["contour", "scatter"]
        pair = tuple(page.evaluate("['x', 'y'].map(a => document.getElementById('contour-' + a).value)"))
        shown = page.evaluate("(t => [t.x, t.y, t.z])(document.getElementById('contour-plot').data[0])")
        assert shown == [list(ours[pair].x), list(ours[pair].y), [list(r) for r in ours[pair].z]]
        page.goto(f"{server.url}/compare?study=kinds")
        page.wait_for_function("() => (document.getElementById('compare-plot').data || []).length === 2", timeout=20000)
        assert page.evaluate("document.getElementById('compare-plot').data[1].name") == "Best Value of kinds"
        assert not errors, errors
