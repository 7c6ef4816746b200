"""What the study page's plots draw in a real browser (Debian's chromium) for studies built with
the define-by-run API, checked against what optuna-dashboard draws for the same study: the
contour's colours follow the direction, a conditional parameter keeps every trial's line in the
parallel coordinates, a Beta's slice is drawn by decades of 1 - b, a trial left running by a
killed process does not squash the timeline, and a plot left empty says why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.report.figures import _greyed_line
from nntune.storage import SQLStorage

from tests.dashboard.test_api import build_study
from tests.dashboard.test_browser import watch_console
from tests.dashboard.test_browser_plots import drawn

pytestmark = pytest.mark.slow


def conditional(trial: Any) -> float:
    """A momentum only where the optimizer is sgd (a conditional space), logs, an int and a long name."""
    opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.99) if opt == "sgd" else 0.0
    decay = trial.suggest_float("weight_decay_of_the_final_layer", 1e-6, 1e-2, log=True)
    return lr * trial.suggest_int("layers", 1, 4) + momentum + decay


def bounded(trial: Any) -> float:
    """x and a little y, each trial reporting two epochs (the study's constraint is on x)."""
    x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 0.1)
    trial.report(x, 0)
    trial.report(x + y, 1)
    return x + y


def broken(trial: Any) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    raise RuntimeError("out of memory")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SQLStorage, str]]:
    """``demo`` (maximized accuracy, a Beta among its parameters, one trial left running),
    ``low`` (minimized), ``cond`` (a conditional parameter), ``mo`` (two objectives, the
    first maximized), ``failed`` (two objectives, one failed trial), ``constrained`` (a
    constraint some trials break) and ``bare`` (no parameter), one server for the module."""
    store = SQLStorage(f"sqlite:///{tmp_path_factory.mktemp('drawn') / 'drawn.db'}")
    sid = build_study(store, "demo", n=20)
    store.create_trial(sid, params={"lr": 1e-3, "units": 32, "dropout": 0.1, "optimizer": "sgd", "beta1": 0.9})
    low = nntune.create_study(study_name="low", storage=store.url, sampler=nntune.samplers.RandomSampler(seed=0))
    low.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + t.suggest_float("y", 0.0, 1.0), n_trials=8)
    cond = nntune.create_study(study_name="cond", storage=store.url, sampler=nntune.samplers.RandomSampler(seed=1))
    cond.optimize(conditional, n_trials=12)
    mo = nntune.create_study(study_name="mo", storage=store.url, directions=["maximize", "minimize"],
                             sampler=nntune.samplers.RandomSampler(seed=2))
    mo.set_metric_names(["acc", "cost"])
    mo.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), t.suggest_float("y", 0.0, 1.0) * t.params["x"]), n_trials=10)
    failed = nntune.create_study(study_name="failed", storage=store.url, directions=["minimize", "maximize"])
    failed.optimize(broken, n_trials=1, catch=(RuntimeError,))
    sampler = nntune.samplers.TPESampler(seed=0, n_startup_trials=20, constraints_func=lambda t: [t.params["x"] - 0.5])
    con = nntune.create_study(study_name="constrained", storage=store.url, direction="maximize", sampler=sampler)
    con.optimize(bounded, n_trials=10)
    bare = nntune.create_study(study_name="bare", storage=store.url)
    bare.optimize(lambda t: float(t.number), n_trials=3)
    with RunningServer(create_app(store)) as srv:
        yield store, srv.url


def open_study(context: Any, url: str, name: str) -> tuple[Any, list[str]]:
    page = context.new_page()
    errors = watch_console(page)
    page.goto(f"{url}/study?study={name}")
    return page, errors


@pytest.mark.parametrize(("study", "reversed_scale"), [("demo", True), ("low", False), ("mo", True)])
def test_the_contour_is_darkest_where_the_value_is_best(browser_context, served, study, reversed_scale):
    # plotly.js's Blues runs dark to light: optuna-dashboard reverses it for a maximized
    # objective. The page drew a maximized study's best region the lightest.
    _, url = served
    page, errors = open_study(browser_context, url, study)
    assert [t["type"] for t in drawn(page, "contour-plot")][0] == "contour"
    surface = page.evaluate("document.getElementById('contour-plot').data[0]")
    assert surface["colorscale"] == "Blues" and bool(surface.get("reversescale")) is reversed_scale
    assert not errors, errors


def test_the_importance_of_a_study_of_several_objectives_names_the_objective(browser_context, served):
    # The page's plots show the first objective's values; the importance's note did not say
    # of which objective it was (optuna-dashboard shows one per objective).
    _, url = served
    page, errors = open_study(browser_context, url, "mo")
    drawn(page, "importance-plot")
    assert " of each parameter for acc over 10 complete trials " in page.inner_text("#importance-note")
    assert not errors, errors


def test_a_study_without_a_complete_trial_says_so(browser_context, served):
    # One failed trial: the history drew empty axes, and the Pareto front's note read
    # "0 trials no other feasible trial beats on every objective".
    _, url = served
    page, errors = open_study(browser_context, url, "failed")
    page.wait_for_selector("#pareto-section", state="visible", timeout=20000)
    page.wait_for_function("() => document.querySelector('#history-plot p.empty') !== null", timeout=20000)
    assert page.inner_text("#history-plot") == "No trial has finished with a value yet."
    assert page.inner_text("#pareto-note") == "No feasible complete trial yet (minimize objective 0, maximize objective 1)."
    assert not errors, errors


def test_a_study_without_parameters_is_not_said_to_need_two_trials(browser_context, served):
    # Three complete trials of an objective that suggests nothing: the parallel coordinates
    # said "Two complete trials are needed."
    _, url = served
    page, errors = open_study(browser_context, url, "bare")
    page.wait_for_function("() => document.querySelector('#slices-plots p.empty') !== null", timeout=20000)
    assert page.inner_text("#parallel-plot") == "The complete trials have no parameter to draw."
    assert not errors, errors


def test_a_trial_that_broke_the_constraints_is_drawn_grey_and_unranked(browser_context, served):
    # plot_rank and optuna-dashboard draw such a trial grey; the page coloured the largest
    # value, an infeasible one, as the best. The history drew it as any complete trial.
    store, url = served
    page, errors = open_study(browser_context, url, "constrained")
    drawn(page, "rank-plot")
    study = nntune.load_study("constrained", store.url)
    broke = sorted(t.number for t in study.trials if t.params["x"] > 0.5)
    assert max(study.trials, key=lambda t: t.value).number in broke
    for plot in ("rank-plot", "contour-plot"):
        traces = page.evaluate(f"document.getElementById('{plot}').data.filter(t => t.type !== 'contour')"
                               ".map(t => [t.name, t.customdata, t.marker.color])")
        assert [t[0] for t in traces] == ["trials", "Infeasible Trial"] and sorted(traces[1][1]) == broke
    numbers, ranks = page.evaluate("(t => [t.customdata, t.marker.color])(document.getElementById('rank-plot').data[0])")
    assert numbers[ranks.index(0)] == study.best_trial.number  # the best that met the constraint
    # The history draws them only in a grey trace of their own, as the report and
    # plot_optimization_history do: they were points of the value trace, ringed in red.
    drawn(page, "history-plot")
    history = page.evaluate("document.getElementById('history-plot').data.map(t => [t.name, t.x, t.marker && t.marker.color])")
    assert history[-1][0] == "Infeasible Trial" and sorted(history[-1][1]) == broke and history[-1][2] == "#cccccc"
    assert history[0][0] == "complete" and not set(history[0][1]) & set(broke) and len(history[0][1]) == 10 - len(broke)
    # Their curves grey too, as plot_intermediate_values and the report draw them.
    drawn(page, "intermediate-plot")
    curves = page.evaluate("document.getElementById('intermediate-plot').data.filter(t => t.mode === 'lines')"
                           ".map(t => [t.name, t.line.color, [...new Set((t.text || []).filter(x => x))]])")
    grey = {name: (color, text) for name, color, text in curves}["Infeasible Trial"]
    assert grey == ("#cccccc", [f"#{n} complete" for n in broke])
    assert not any(f"#{n} complete" in text for name, _, text in curves if name == "trials" for n in broke)
    # The slices, the timeline and the parallel coordinates set them apart in that grey too, as
    # plot_slice, plot_timeline and the report do: they were drawn as any complete trial.
    drawn(page, "slice-x")
    slices = page.evaluate("document.getElementById('slice-x').data.map(t => [t.name, t.text, t.marker.color])")
    assert slices[-1] == ["Infeasible Trial", [f"#{n}" for n in broke], "#cccccc"]
    assert not {f"#{n}" for n in broke} & {x for _, text, _ in slices[:-1] for x in text}
    drawn(page, "timeline-plot")
    bars = page.evaluate("document.getElementById('timeline-plot').data.filter(t => t.mode === 'lines')"
                         ".map(t => [t.name, t.y.filter(y => y !== null), t.line.color])")
    assert bars[0][0] == "infeasible" and sorted(set(bars[0][1])) == broke and bars[0][2] == "#cccccc"
    drawn(page, "parallel-plot")
    lines = page.evaluate("""(d => d[0].type === 'parcoords' ? {scale: d[0].line.colorscale[0][1],
        grey: d[0].line.color.filter(c => c === d[0].line.cmin).length}
      : {scale: d[0].line.color, grey: d[0].y.filter(y => y === null).length, name: d[0].name})
      (document.getElementById('parallel-plot').data)""")
    # With WebGL, parcoords' one colour scale gets the report's grey foot (figures._greyed_line).
    values, met = [0.2, 0.9, 0.5], [True, False, True]
    ours = page.evaluate(f"greyedLine({values}, {str(met).lower()}, 'maximize')")
    report = _greyed_line(np.array(values), np.array(met), "maximize")
    assert ours["color"] == pytest.approx(list(report["color"])) and ours["cmin"] == pytest.approx(report["cmin"])
    assert ours["colorscale"] == [[pytest.approx(at), c] for at, c in report["colorscale"]]
    # The comparison of studies draws them in a grey trace of their own as well.
    page.goto(f"{url}/compare?study=constrained&study=low")
    page.wait_for_function("() => (document.getElementById('compare-plot').data || []).length === 5", timeout=10000)
    compared = page.evaluate("document.getElementById('compare-plot').data.map(t => [t.name, t.x, t.marker && t.marker.color])")
    assert compared[2] == ["Infeasible Trial of constrained", broke, "#cccccc"]
    assert not set(compared[0][1]) & set(broke) and compared[0][2] != "#cccccc"
    assert lines["scale"] == "#cccccc" and lines["grey"] == len(broke) and lines.get("name", "Infeasible Trial") == "Infeasible Trial"
    assert not errors, errors


def test_a_trial_without_a_conditional_parameter_keeps_its_line(browser_context, served):
    # optuna's plot_parallel_coordinate puts a trial lacking a parameter at a mark below the
    # axis; the page handed plotly nulls (lines off the axis, or broken before the value).
    store, url = served
    page, errors = open_study(browser_context, url, "cond")
    drawn(page, "parallel-plot")
    trials = nntune.load_study("cond", store.url).trials
    without = sum("momentum" not in t.params for t in trials)
    assert 0 < without < len(trials)
    plot = page.evaluate("""(() => { const d = document.getElementById('parallel-plot').data;
        if (d[0].type === 'parcoords') return {dims: d[0].dimensions.map(x => ({label: x.label, values: x.values,
          ticktext: x.ticktext}))};
        return {ys: d.map(t => t.y), labels: document.getElementById('parallel-plot').layout.xaxis.ticktext}; })()""")
    # A long name cut as plot_parallel_coordinate cuts it (the labels ran into each other).
    labels = [d["label"] for d in plot["dims"]] if "dims" in plot else plot["labels"]
    assert sorted(labels) == ["layers", "log10 lr", "log10 weight_deca...", "momentum", "optimizer", "value"]
    if "dims" in plot:  # WebGL: parcoords
        dims = {d["label"]: d for d in plot["dims"]}
        assert all(v is not None for d in plot["dims"] for v in d["values"])
        assert dims["momentum"]["ticktext"][0] == "not set"
        assert dims["optimizer"]["ticktext"] == ["sgd", "adam"]
    else:  # each trial a polyline through every axis, value included, split by gaps
        lines = [seg for ys in plot["ys"] for seg in " ".join("|" if y is None else "o" for y in ys).split("|")]
        assert sorted(seg.split().__len__() for seg in lines if seg.strip()) == [6] * len(trials)
    assert not errors, errors


def test_a_beta_slice_is_drawn_by_decades_of_one_minus_beta(browser_context, served):
    # The report's slice and the contour draw a Beta b over 1 - b on a log axis, reversed;
    # the page's slice drew it on a linear axis, 0.9, 0.99 and 0.999 crammed at one edge.
    store, url = served
    page, errors = open_study(browser_context, url, "demo")
    drawn(page, "slice-beta1")
    plot = page.evaluate("(() => { const n = document.getElementById('slice-beta1'); return {x: n.data[0].x, "
                         "type: n.layout.xaxis.type, range: n.layout.xaxis.range, title: n.layout.title.text, "
                         "names: n.data.map(t => t.name)}; })()")
    assert plot["names"] == ["complete", "pruned"]  # no grey trace in a study without constraints
    betas = {round(1 - t.params["beta1"], 9) for t in nntune.load_study("demo", store.url).trials
             if t.state.value == "complete"}
    # reversed: beta grows to the right
    assert plot["type"] == "log" and plot["range"][0] > plot["range"][1] and plot["title"] == "beta1 (axis: 1 - beta1)"
    assert {round(x, 9) for x in plot["x"]} == betas
    assert not errors, errors


def test_a_trial_left_running_long_ago_does_not_squash_the_timeline(browser_context, served):
    # optuna-dashboard ends the bar of a trial marked running for over five times the longest
    # finished one at the last end (its process was likely killed): drawn to now, its bar
    # squeezed every other trial into a sliver at the left.
    store, _ = served
    app = create_app(store)
    app.state.dashboard.live.wall = lambda: datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=3)
    with RunningServer(app) as srv:
        page, errors = open_study(browser_context, srv.url, "demo")
        drawn(page, "timeline-plot")
        bars = page.evaluate("document.getElementById('timeline-plot').data.map(t => [t.name, t.x])")
        title = page.evaluate("document.getElementById('timeline-plot').layout.title.text")
    ends = [x for name, xs in bars if name != "running" for x in xs[1::3]]
    running = [xs for name, xs in bars if name == "running"][0]
    assert running[1] <= max(ends) or running[1] == running[0]
    assert title == "1 running trial started over five times the longest finished trial ago: drawn to the last end"
    assert not errors, errors
