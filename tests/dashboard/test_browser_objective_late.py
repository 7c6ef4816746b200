"""A study of several objectives, another objective picked for a plot (the optimization
history, read from /api/history; the slices, from /api/plots): when that read came back
after the study had gained a trial (and the page had drawn the newer one), the older
answer was drawn over it, and the plot lacked the new trial until the study changed again."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard._held import Held, watch_reads
from tests.dashboard.test_browser import watch_console

pytestmark = pytest.mark.slow

# plot -> (its element, the count of points it draws, the request held, the objective's picker, a section to scroll to)
PLOTS = {
    "history": ("history-plot", "(document.getElementById('history-plot').data || [{x: []}])[0].x.length",
                "**/api/history?*", "#history-objective", None),
    "slices": ("slice-x", "(document.getElementById('slice-x').data || []).reduce((n, t) => n + t.x.length, 0)",
               "**/api/plots?*", "#slices-objective", "slices"),
}


def objective(trial: nntune.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    return x, (x - 0.3) ** 2


@pytest.mark.parametrize("plot", list(PLOTS))
def test_an_objectives_plot_answered_late_does_not_replace_a_newer_one(plot, browser_context, tmp_path):
    element, points, held, picker, section = PLOTS[plot]
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    study = nntune.create_study("mo", url, directions=["maximize", "minimize"], sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["acc", "cost"])
    study.optimize(objective, n_trials=6)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        watch_reads(page)
        page.goto(f"{server.url}/study?study=mo")
        page.wait_for_selector(f"#{element}", state="attached", timeout=15000)
        if section:
            page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
        page.wait_for_function(f"() => ({points}) === 6", timeout=15000)
        first = Held(page, held, limit=1)
        page.select_option(picker, "1")  # cost: answered as of six trials, held
        first.wait()
        study.optimize(objective, n_trials=1)  # the next poll reads it again
        page.wait_for_function(f"() => ({points}) === 7 && document.getElementById('{element}').layout.yaxis.title.text"
                               " === 'cost'", timeout=15000)
        first.release()
        assert page.evaluate(f"() => {points}") == 7
        assert not errors
