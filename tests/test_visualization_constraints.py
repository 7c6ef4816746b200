"""The plots treat the trials that broke a study's constraints as Optuna's plots do: the
slice apart in grey ("Infeasible Trial"), and a study without constraints drawn as before."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import optuna
import pytest

import nntune
import nntune.visualization as vis
import nntune.visualization.matplotlib as mvis
from nntune.visualization import _data

matplotlib.use("Agg")

GREY = "#cccccc"
# (x, kind) per trial; a trial with x > 0.6 breaks the constraint x - 0.6 <= 0.
POINTS = [(0.1, "a"), (0.9, "b"), (0.3, "a"), (0.7, "b"), (0.5, "b"), (0.8, "a")]
BROKE = [1, 3, 5]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Each matplotlib figure closed after its test: pyplot keeps every one open otherwise."""
    yield
    plt.close("all")


def constrained(lib: Any, constraints: bool = True) -> Any:
    """The same study under nntune or Optuna: two parameters, one constraint per trial
    (none without ``constraints``)."""
    study = lib.create_study()
    for x, kind in POINTS:
        study.enqueue_trial({"x": x, "kind": kind})
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_categorical("kind", ["a", "b"])
        if constraints:
            trial.set_constraint("x", x - 0.6)
        study.tell(trial, x + (0.5 if kind == "b" else 0.0))
    return study


def counts(fig: Any) -> dict[str, int]:
    """Points per named trace (a slice's feasible trace is unnamed in nntune)."""
    out: dict[str, int] = {}
    for tr in fig.data:
        out[tr.name or ""] = out.get(tr.name or "", 0) + len(tr.x)
    return out


def test_the_slice_data_says_which_points_broke_the_constraints():
    for s in _data.slices(constrained(nntune), None, None):
        assert [n for n, ok in zip(s["number"], s["feasible"]) if not ok] == BROKE


def test_the_slice_draws_infeasible_trials_apart_in_grey_as_optuna():
    fig = vis.plot_slice(constrained(nntune))
    theirs = optuna.visualization.plot_slice(constrained(optuna))
    grey = [tr for tr in fig.data if tr.name == "Infeasible Trial"]
    assert [tr.marker.color for tr in grey] == [GREY, GREY]
    assert [len(tr.x) for tr in grey] == [len(tr.x) for tr in theirs.data if tr.name == "Infeasible Trial"] == [3, 3]
    assert sorted(int(n) for tr in grey for n in tr.customdata) == sorted(BROKE * 2)
    assert all(not tr.showlegend for tr in fig.data)


def test_the_matplotlib_slice_draws_infeasible_trials_apart_in_grey():
    axs = mvis.plot_slice(constrained(nntune))
    for ax in axs:
        grey = [c for c in ax.collections if c.get_gid() == "infeasible"]
        assert len(grey) == 1 and len(grey[0].get_offsets()) == 3
        assert matplotlib.colors.to_hex(grey[0].get_facecolor()[0]) == GREY
        assert len(next(c for c in ax.collections if c.get_gid() == "complete").get_offsets()) == 3


def test_a_slice_without_constraints_is_drawn_as_before():
    fig = vis.plot_slice(constrained(nntune, constraints=False))
    assert [(tr.name, len(tr.x)) for tr in fig.data] == [(None, 6), (None, 6)]
    axs = mvis.plot_slice(constrained(nntune, constraints=False))
    assert all([c.get_gid() for c in ax.collections] == ["complete"] for ax in axs)


def with_pruned(study: Any, lib: Any = nntune) -> Any:
    """``study`` (of ``lib``) and a pruned trial that broke the constraints: a bar of its own state still."""
    trial = study.ask()
    trial.set_constraint("x", 1.0)
    study.tell(trial, state=lib.trial.TrialState.PRUNED)
    return study


def test_the_timeline_data_says_which_trials_broke_the_constraints():
    rows = _data.timeline(with_pruned(constrained(nntune)), None)["rows"]
    assert [r["number"] for r in rows if not r["feasible"]] == [*BROKE, 6]


def test_the_timeline_draws_infeasible_complete_trials_as_optunas_infeasible_bars():
    fig = vis.plot_timeline(with_pruned(constrained(nntune)))
    theirs = optuna.visualization.plot_timeline(with_pruned(constrained(optuna), optuna))
    assert [(tr.name, len(tr.y)) for tr in fig.data] == [(tr.name, len(tr.y)) for tr in theirs.data] == [
        ("INFEASIBLE", 3), ("COMPLETE", 3), ("PRUNED", 1)]
    assert fig.data[0].marker.color == GREY and list(fig.data[0].y) == BROKE


def test_the_matplotlib_timeline_draws_infeasible_complete_trials_grey():
    ax = mvis.plot_timeline(with_pruned(constrained(nntune)))
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["INFEASIBLE", "COMPLETE", "PRUNED"]
    assert [len(h.patches) for h in handles] == [3, 3, 1]
    assert matplotlib.colors.to_hex(handles[0].patches[0].get_facecolor()) == GREY


def test_a_timeline_without_constraints_is_drawn_as_before():
    fig = vis.plot_timeline(constrained(nntune, constraints=False))
    assert [(tr.name, len(tr.y)) for tr in fig.data] == [("COMPLETE", 6)]
    assert mvis.plot_timeline(constrained(nntune, constraints=False)).get_legend_handles_labels()[1] == ["COMPLETE"]


def test_the_contour_data_says_which_points_broke_the_constraints():
    cell = next(iter(_data.contours(constrained(nntune), None, None)["cells"].values()))
    assert [n for n, ok in zip(cell["number"], cell["feasible"]) if not ok] == BROKE


def test_the_contour_draws_infeasible_trials_apart_in_grey_over_the_same_surface_as_optuna():
    fig = vis.plot_contour(constrained(nntune))
    theirs = optuna.visualization.plot_contour(constrained(optuna))
    assert [(tr.name, len(tr.x)) for tr in fig.data[1:]] == [("trials", 3), ("Infeasible Trial", 3)]
    assert [len(tr.x) for tr in theirs.data if tr.name == "Infeasible Trial"] == [3]
    grey = next(tr for tr in fig.data if tr.name == "Infeasible Trial")
    assert grey.marker.color == GREY and [t.split(":")[0] for t in grey.text] == [f"trial {n}" for n in BROKE]
    # The surface reads the infeasible trials' values too: the same as without constraints.
    plain = vis.plot_contour(constrained(nntune, constraints=False))
    assert fig.data[0].z == plain.data[0].z


@pytest.mark.parametrize("plot", ["plot_contour", "plot_rank"])
def test_the_matplotlib_contour_and_rank_draw_infeasible_trials_grey(plot):
    ax = getattr(mvis, plot)(constrained(nntune))
    grey = next(c for c in ax.collections if c.get_gid() == "infeasible")
    assert len(grey.get_offsets()) == 3 and matplotlib.colors.to_hex(grey.get_facecolor()[0]) == GREY
    assert len(next(c for c in ax.collections if c.get_gid() == "trials").get_offsets()) == 3


def test_a_contour_without_constraints_is_drawn_as_before():
    fig = vis.plot_contour(constrained(nntune, constraints=False))
    assert [(tr.name, len(tr.x)) for tr in fig.data[1:]] == [("trials", 6)]
    ax = mvis.plot_contour(constrained(nntune, constraints=False))
    assert "infeasible" not in [c.get_gid() for c in ax.collections]


def test_the_rank_data_says_which_trials_broke_the_constraints_and_ranks_them_all():
    data = _data.ranks(constrained(nntune), None, None)
    assert [n for n, ok in zip(data["number"], data["feasible"]) if not ok] == BROKE
    assert sorted(data["rank"]) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # ranked among every trial, as Optuna's


def test_the_rank_plot_greys_infeasible_trials_as_optuna():
    fig = vis.plot_rank(constrained(nntune))
    theirs = optuna.visualization.plot_rank(constrained(optuna))
    their_greys = sum(c == "rgb(204.0, 204.0, 204.0)" for c in theirs.data[0].marker.color)
    assert [(tr.name, len(tr.dimensions[0].values)) for tr in fig.data] == [(None, 3), ("Infeasible Trial", 3)]
    assert fig.data[1].marker.color == GREY and their_greys == 3
    assert (fig.data[0].marker.cmin, fig.data[0].marker.cmax) == (0, 1)


def test_a_rank_plot_without_constraints_is_drawn_as_before():
    fig = vis.plot_rank(constrained(nntune, constraints=False))
    assert [(tr.name, len(tr.dimensions[0].values)) for tr in fig.data] == [(None, 6)]
    assert fig.data[0].marker.cmin is None and fig.data[0].showlegend is None
    ax = mvis.plot_rank(constrained(nntune, constraints=False))
    assert [c.get_gid() for c in ax.collections] == ["trials"]


def test_the_parallel_data_says_which_lines_broke_the_constraints_by_optunas_rule():
    data = _data.parallel(constrained(nntune), None, None)
    assert [n for n, ok in zip(data["number"], data["feasible"]) if not ok] == BROKE
    assert _data.parallel(constrained(nntune, constraints=False), None, None)["feasible"] is None
    # Beside trials that carry constraint values, one without them is infeasible, as in Optuna.
    study = constrained(nntune)
    study.enqueue_trial({"x": 0.2, "kind": "a"})
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.suggest_categorical("kind", ["a", "b"])
    study.tell(trial, 0.2)
    assert _data.parallel(study, None, None)["feasible"][-1] is False


def test_the_parallel_plot_greys_infeasible_lines():
    fig = vis.plot_parallel_coordinate(constrained(nntune))
    line = fig.data[0].line
    floor = [c for c, ok in zip(line.color, _data.parallel(constrained(nntune), None, None)["feasible"]) if not ok]
    assert floor == [line.cmin] * 3 and line.colorscale[0][1] == GREY and line.colorscale[1][1] == GREY
    assert min(c for c in line.color if c > line.cmin) == 0.1  # the feasible ones on the scale above the grey


def test_the_matplotlib_parallel_plot_dots_infeasible_lines_as_optuna():
    ax = mvis.plot_parallel_coordinate(constrained(nntune))
    lines = next(c for c in ax.collections if c.get_gid() == "trials")
    dotted = [style[1] is not None for style in lines.get_linestyles()]
    assert sum(dotted) == 3 and [t.get_text() for t in ax.get_legend().get_texts()] == ["Feasible", "Infeasible"]


def test_a_parallel_plot_without_constraints_is_drawn_as_before():
    line = vis.plot_parallel_coordinate(constrained(nntune, constraints=False)).data[0].line
    assert line.colorscale[0][1] != GREY and line.cmin is None and line.reversescale is True
    assert mvis.plot_parallel_coordinate(constrained(nntune, constraints=False)).get_legend() is None


def test_the_history_data_says_which_points_broke_the_constraints():
    h = _data.history(constrained(nntune), None)
    assert [n for n, ok in zip(h["number"], h["feasible"]) if not ok] == h["infeasible_number"] == BROKE


def test_the_history_draws_infeasible_trials_only_in_a_grey_trace_as_optuna():
    fig = vis.plot_optimization_history(constrained(nntune))
    theirs = optuna.visualization.plot_optimization_history(constrained(optuna))
    ours = {tr.name: tr for tr in fig.data}
    for name in ("Objective Value", "Infeasible Trial"):
        assert list(ours[name].x) == list(next(tr for tr in theirs.data if tr.name == name).x)
    assert list(ours["Infeasible Trial"].x) == BROKE and ours["Infeasible Trial"].marker.color == GREY
    assert ours["Infeasible Trial"].showlegend is False and fig.data[-1].name == "Infeasible Trial"


def test_the_history_s_best_value_passes_infeasible_trials_by_as_optuna():
    def told(lib: Any) -> Any:  # trial 1 has the best value of all, but breaks the constraint
        study = lib.create_study()
        for value, c in ((0.5, -1.0), (0.1, 1.0), (0.3, -1.0)):
            trial = study.ask()
            trial.set_constraint("c", c)
            study.tell(trial, value)
        return study
    ours = next(tr for tr in vis.plot_optimization_history(told(nntune)).data if tr.name == "Best Value")
    theirs = next(tr for tr in optuna.visualization.plot_optimization_history(told(optuna)).data
                  if tr.name == "Best Value")
    assert list(theirs.y) == [0.5, 0.5, 0.3] and list(ours.y) == [0.5, 0.3, 0.3]


def test_the_matplotlib_history_draws_infeasible_trials_apart_in_grey():
    ax = mvis.plot_optimization_history(constrained(nntune))
    grey = next(c for c in ax.collections if c.get_gid() == "infeasible")
    assert [int(x) for x, _ in grey.get_offsets()] == BROKE
    assert matplotlib.colors.to_hex(grey.get_facecolor()[0]) == GREY
    assert [int(x) for x, _ in next(c for c in ax.collections if c.get_gid() == "complete").get_offsets()] == [0, 2, 4]
    assert "Infeasible Trial" not in ax.get_legend_handles_labels()[1]  # unlabelled, as Optuna's


def test_a_history_without_constraints_is_drawn_as_before():
    fig = vis.plot_optimization_history(constrained(nntune, constraints=False))
    assert [(tr.name, len(tr.x)) for tr in fig.data] == [("Objective Value", 6), ("Best Value", 2)]
    ax = mvis.plot_optimization_history(constrained(nntune, constraints=False))
    assert [c.get_gid() for c in ax.collections] == ["complete"]
    assert len(ax.collections[0].get_offsets()) == 6


def reported(lib: Any, constraints: bool = True) -> Any:
    """Trials that report two steps each: 0 meets its constraint, 1 breaks it, 2 breaks it and
    is pruned (none has a constraint without ``constraints``)."""
    study = lib.create_study()
    for number, c in enumerate((-1.0, 1.0, 1.0)):
        trial = study.ask()
        for step in range(2):
            trial.report(number + step / 10, step)
        if constraints:
            trial.set_constraint("c", c)
        study.tell(trial, number) if number < 2 else study.tell(trial, state=lib.trial.TrialState.PRUNED)
    return study


def test_the_intermediate_data_says_which_curves_broke_the_constraints():
    assert [c["feasible"] for c in _data.intermediate(reported(nntune))["curves"]] == [True, False, False]


def test_the_intermediate_values_grey_infeasible_curves_as_optuna():
    fig = vis.plot_intermediate_values(reported(nntune))
    theirs = optuna.visualization.plot_intermediate_values(reported(optuna))
    assert [tr.marker.color for tr in theirs.data] == [None, "#CCCCCC", "#CCCCCC"]
    grey = next(tr for tr in fig.data if tr.name == "Infeasible Trial")
    assert grey.line.color == GREY and [x for x in grey.x if x == x] == [0, 1, 0, 1]  # both curves, pruned too
    curves = [tr.name for tr in fig.data if tr.mode == "lines" and tr.name != "median of all trials"]
    assert curves == ["Infeasible Trial", "other trials"]  # the pruned one grey, not "stopped early"


def test_the_matplotlib_intermediate_values_grey_infeasible_curves():
    ax = mvis.plot_intermediate_values(reported(nntune))
    colors = {line.get_gid(): matplotlib.colors.to_hex(line.get_color()) for line in ax.lines if line.get_gid()}
    assert colors["trial 0"] != GREY and colors["trial 1"] == colors["trial 2"] == GREY


def test_intermediate_values_without_constraints_are_drawn_as_before():
    fig = vis.plot_intermediate_values(reported(nntune, constraints=False))
    assert [tr.name for tr in fig.data if tr.mode == "lines" and tr.name != "median of all trials"] == [
        "other trials", "stopped early (pruned)"]
    ax = mvis.plot_intermediate_values(reported(nntune, constraints=False))
    assert GREY not in {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines}


def test_several_studies_histories_draw_infeasible_trials_only_in_grey_as_optuna():
    fig = vis.plot_optimization_history([constrained(nntune), constrained(nntune, constraints=False)])
    theirs = optuna.visualization.plot_optimization_history([constrained(optuna), constrained(optuna, constraints=False)])
    def values(f: Any) -> list[list[int]]:  # each study's value trace, then its grey one
        return [list(tr.x) for tr in f.data if tr.name.startswith("Objective Value") or tr.name == "Infeasible Trial"]
    assert values(fig) == [v for v in values(theirs) if v] == [[0, 2, 4], BROKE, list(range(6))]
    assert {tr.marker.color for tr in fig.data if tr.name == "Infeasible Trial"} == {GREY}
    ax = mvis.plot_optimization_history([constrained(nntune), constrained(nntune, constraints=False)])
    grey = [c for c in ax.collections if c.get_gid().endswith(" infeasible")]
    assert len(grey) == 1 and [int(x) for x, _ in grey[0].get_offsets()] == BROKE


def test_the_error_bars_average_the_feasible_values_only_as_optuna():
    fig = vis.plot_optimization_history([constrained(nntune), reported(nntune, constraints=False)], error_bar=True)
    theirs = optuna.visualization.plot_optimization_history(
        [constrained(optuna), reported(optuna, constraints=False)], error_bar=True)
    ours = next(tr for tr in fig.data if tr.name == "Objective Value")
    mine = [(int(x), round(y, 9)) for x, y in zip(ours.x, ours.y) if y == y]
    assert mine == [(int(x), round(y, 9)) for x, y in zip(theirs.data[0].x, theirs.data[0].y)]
    assert mine[1] == (1, 1.0)  # trial 1 of the first run broke its constraint: the second run's value alone
