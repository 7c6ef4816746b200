"""The report's plots read as nntune.visualization's (and Optuna's) do: the Pareto plot's parts
"Trial"/"Feasible Trial"/"Best Trial"/"Infeasible Trial", the history's "Best Value", the
importance's axis, a contour's surface over a choice (one ``choice_grid`` for the plots, the
dashboard and the report) with the best value the darkest."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import nntune
import nntune.visualization as vis
from nntune.dashboard.plots import contour_view
from nntune.report import figures, render_html
from nntune.report.data import build_report_data
from nntune.report.study_data import choice_grid, contour_data
from nntune.visualization import _data

OFFSET = {"a": 0.0, "b": 2.0, "c": 5.0}


def drawn(page: str, div_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The traces and layout of the report's plot ``div_id``, read from the page's script."""
    start = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', page)
    assert start, f"no {div_id} on the page"
    decoder = json.JSONDecoder()
    traces, end = decoder.raw_decode(page, start.end())
    layout, _ = decoder.raw_decode(page, end + page[end:].index("{"))
    return traces, layout


def constrained_front(url: str) -> nntune.Study:
    study = nntune.create_study(storage=url, study_name="mo", directions=["minimize", "minimize"])
    for a, b in ((0.1, 0.9), (0.9, 0.1), (0.8, 0.8), (0.5, 0.5), (0.7, 0.05), (0.6, 0.6)):
        trial = study.ask()
        trial.set_constraint("a", a - 0.75)  # 0.8 and 0.9 break it; (0.5, 0.5) beats (0.6, 0.6)
        study.tell(trial, [a, b])
    return study


def test_the_reports_pareto_plot_names_its_parts_as_plot_pareto_front_does(tmp_path):
    # The report's legend read "dominated" and "Pareto front" beside plot_pareto_front's
    # "Feasible Trial" and "Best Trial".
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = constrained_front(url)
    traces, _ = drawn(render_html(build_report_data(url, "mo")), "plot-pareto")
    ours = {tr.name: len(tr.x) for tr in vis.plot_pareto_front(study).data}
    assert {tr["name"]: len(tr["x"]) for tr in traces} == ours == {"Infeasible Trial": 2, "Feasible Trial": 1,
                                                                     "Best Trial": 3}


def test_a_pareto_figure_without_infeasible_trials_names_the_rest_trial_and_its_3d_axes():
    data = {"names": ["p", "q", "r"], "values": [[1, 1, 1], [2, 2, 2]], "pareto": [True, False],
            "feasible": [True, True], "number": [0, 1]}
    fig = figures.pareto_figure(data)
    assert [tr.name for tr in fig.data] == ["Trial", "Best Trial"]
    assert [fig.layout.scene[f"{axis}axis"].title.text for axis in "xyz"] == ["p", "q", "r"]


def test_the_reports_history_and_importance_read_as_optunas(tmp_path):
    # The report's history said "trial value", "best so far" and "broke a constraint (never
    # the best)", its axis "trial number"; the importance's axis "share of importance".
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(storage=url, study_name="one", sampler=nntune.samplers.RandomSampler(seed=0))
    for i in range(12):
        trial = study.ask()
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_constraint("c", 1.0 if i == 3 else -1.0)
        study.tell(trial, x + 0.1 * y)
    page = render_html(build_report_data(url, "one"))
    traces, layout = drawn(page, "plot-history")
    names = [tr["name"] for tr in traces]
    assert "Best Value" in names and "Infeasible Trial" in names and layout["xaxis"]["title"]["text"] == "Trial"
    assert not {"trial value", "best so far"} & set(names)
    _, layout = drawn(page, "plot-importance")
    assert layout["xaxis"]["title"]["text"] == "Hyperparameter Importance"
    assert layout["yaxis"]["title"]["text"] == "Hyperparameter"


def kinds(direction: str = "minimize") -> nntune.Study:
    study = nntune.create_study(direction=direction)
    for x, kind in ((0.1, "a"), (0.9, "a"), (0.2, "b"), (0.7, "b"), (0.4, "c"), (0.8, "c")):
        study.enqueue_trial({"x": x, "kind": kind})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + OFFSET[t.suggest_categorical("kind", ["a", "b", "c"])],
                   n_trials=6)
    return study


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_report_the_dashboard_and_the_plot_share_one_surface_over_a_choice(direction):
    # contour_data gave no surface over a choice; the plot and the dashboard drew one each
    # from their own copy of the rule.
    study = kinds(direction)
    trials, space = study.get_trials(deepcopy=False), nntune.Space(
        {"x": nntune.Float(0, 1), "kind": nntune.Choice(["a", "b", "c"])})
    cell = contour_data(trials, space, "x", "kind", direction)
    assert cell["y"]["categories"] == ["a", "b", "c"] and cell["grid"]["y"] == ["a", "b", "c"]
    assert cell["grid"] == choice_grid(cell, direction)
    assert _data.choice_grid is choice_grid  # one rule, importable where it was
    assert contour_view(trials, space, "x", "kind", direction)["grid"] == cell["grid"]
    surface = next(tr for tr in vis.plot_contour(study, params=["x", "kind"]).data if tr.type == "contour")
    assert list(surface.y) == cell["grid"]["y"] and [list(r) for r in surface.z] == cell["grid"]["z"]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_reports_contour_figures_draw_the_best_value_darkest(direction):
    study = nntune.create_study(direction=direction, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1)
                   + OFFSET[t.suggest_categorical("kind", ["a", "b", "c"])], n_trials=12)
    pair, every = _data.contours(study, ["x", "y"], None), _data.contours(study, None, None)
    one = figures.contour_figure(pair["cells"][("x", "y")], "loss", direction)
    assert one.data[0].reversescale is (direction == "minimize")  # plotly's Blues: light to dark
    matrix = figures.contour_matrix_figure(every["params"], every["cells"], "loss", direction)
    assert matrix.layout.coloraxis.reversescale is (direction == "minimize")
    assert sum(tr.type == "contour" for tr in matrix.data) == 6  # over the choice too
