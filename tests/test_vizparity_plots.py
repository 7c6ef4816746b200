"""nntune's plots against Optuna's on the same study: the contour's surface over a choice's
axis, the best value darkest, the Pareto plot's and the history's legend names, and the
titles of each figure and its axes."""

from __future__ import annotations

import warnings
from typing import Any

import matplotlib
import numpy as np
import optuna
import plotly.graph_objects as go
import pytest
from matplotlib.contour import ContourSet

import nntune
import nntune.visualization as vis
import nntune.visualization.matplotlib as mvis

matplotlib.use("Agg")
optuna.logging.set_verbosity(optuna.logging.ERROR)

OFFSET = {"a": 0.0, "b": 2.0, "c": 5.0}
# (x, kind) per trial: every kind at two or more places of x, one kind left unused
PLACES = [(0.1, "a"), (0.9, "a"), (0.5, "a"), (0.2, "b"), (0.7, "b"), (0.4, "c"), (0.8, "c")]


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def kinds(lib: Any, direction: str = "minimize") -> Any:
    """x + OFFSET[kind] over PLACES, under nntune or Optuna."""
    study = lib.create_study(direction=direction)
    for x, kind in PLACES:
        study.enqueue_trial({"x": x, "kind": kind})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + OFFSET[t.suggest_categorical("kind", ["a", "b", "c", "d"])],
                   n_trials=len(PLACES))
    return study


def surfaces(fig: go.Figure) -> list[Any]:
    return [tr for tr in fig.data if isinstance(tr, go.Contour) and tr.z is not None]


def test_a_contour_over_a_choice_draws_the_surface_over_its_labels_as_optuna_does():
    ours = surfaces(vis.plot_contour(kinds(nntune), params=["x", "kind"]))
    theirs = surfaces(optuna.visualization.plot_contour(kinds(optuna), params=["x", "kind"]))
    assert len(ours) == len(theirs) == 1  # nntune drew the points alone
    surface = ours[0]
    # Optuna sorts the pair (kind, x); the labels the trials used, on the axis of the choice
    assert list(surface.y) == list(theirs[0].x) == ["a", "b", "c"]
    z = np.array(surface.z)
    assert z.shape == (3, 50)
    # Each label's row runs along x through that label's trials alone: x + its offset,
    # the nearest value beyond its trials.
    for row, kind in enumerate(surface.y):
        xs = sorted(x for x, k in PLACES if k == kind)
        expected = np.clip(np.array(surface.x), xs[0], xs[-1]) + OFFSET[kind]
        assert z[row] == pytest.approx(expected)


def test_matplotlib_draws_the_same_surface_at_the_labels_places():
    ax = mvis.plot_contour(kinds(nntune), params=["kind", "x"])
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert filled, "no surface under the points"
    assert ax.get_xlim() == (-0.5, 3.5) and [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert filled[0].zmin == pytest.approx(0.1) and filled[0].zmax == pytest.approx(5.8)


def test_two_choices_draw_each_cells_best_value_and_fill_the_empty_ones():
    study = nntune.create_study(direction="maximize")
    dists = {"opt": nntune.distributions.CategoricalDistribution(["sgd", "adam"]),
             "act": nntune.distributions.CategoricalDistribution(["relu", "tanh"])}
    for opt, act, value in (("sgd", "relu", 1.0), ("sgd", "relu", 3.0), ("sgd", "tanh", 2.0), ("adam", "relu", 4.0)):
        study.add_trial(nntune.create_trial(params={"opt": opt, "act": act}, distributions=dists, value=value))
    (surface,) = surfaces(vis.plot_contour(study, params=["opt", "act"]))
    assert list(surface.x) == ["sgd", "adam"] and list(surface.y) == ["relu", "tanh"]
    z = np.array(surface.z)
    assert z[0].tolist() == [3.0, 4.0] and z[1, 0] == 2.0  # the best of a cell's trials, as Optuna keeps it
    assert np.isfinite(z[1, 1])  # no trial there: filled in from its neighbours


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_best_value_is_the_darkest_blue_as_in_optuna(direction):
    (ours,) = surfaces(vis.plot_contour(kinds(nntune, direction), params=["x", "kind"]))
    (theirs,) = surfaces(optuna.visualization.plot_contour(kinds(optuna, direction), params=["x", "kind"]))
    assert bool(ours.reversescale) == bool(theirs.reversescale) == (direction == "minimize")
    ax = mvis.plot_contour(kinds(nntune, direction), params=["x", "kind"])
    drawn = {c.get_cmap().name for c in ax.collections if isinstance(c, ContourSet) and c.filled}
    assert drawn == {"Blues_r" if direction == "minimize" else "Blues"}


def test_a_matrix_of_contours_shares_one_reversed_scale_when_minimizing():
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1) + t.suggest_float("z", 0, 1),
                   n_trials=8)
    fig = vis.plot_contour(study)
    assert fig.layout.coloraxis.reversescale is True


def pareto_study(lib: Any, constrained: bool) -> Any:
    study = lib.create_study(directions=["minimize", "minimize"])
    for a, b in ((0.1, 0.9), (0.9, 0.1), (0.8, 0.8), (0.5, 0.5), (0.7, 0.05)):
        trial = study.ask()
        if constrained:
            trial.set_constraint("a", a - 0.75)
        study.tell(trial, [a, b])
    return study


@pytest.mark.parametrize("constrained", [False, True])
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_the_pareto_plots_name_their_parts_as_optuna_does(constrained):
    theirs = optuna.visualization.plot_pareto_front(pareto_study(optuna, constrained))
    # Optuna's plotly traces say what they draw in their hover's <extra> part
    named = {tr.hovertemplate.split("<extra>")[1].split("</extra>")[0]: len(tr.x) for tr in theirs.data}
    ours = vis.plot_pareto_front(pareto_study(nntune, constrained))
    assert {tr.name: len(tr.x) for tr in ours.data} == {k: n for k, n in named.items() if n}
    ax = optuna.visualization.matplotlib.plot_pareto_front(pareto_study(optuna, constrained))
    labels = {c.get_label(): len(c.get_offsets()) for c in ax.collections}
    drawn = mvis.plot_pareto_front(pareto_study(nntune, constrained))
    assert {c.get_label(): len(c.get_offsets()) for c in drawn.collections} == labels
    assert ours.layout.title.text == theirs.layout.title.text == "Pareto-front Plot"


def small(lib: Any) -> Any:
    study = lib.create_study(sampler=lib.samplers.RandomSampler(seed=0))

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        for step in range(2):
            trial.report(x + step, step)
        return x + 2 * y

    study.optimize(objective, n_trials=10)
    return study


@pytest.mark.parametrize("name", ["plot_optimization_history", "plot_intermediate_values", "plot_slice",
                                  "plot_contour", "plot_parallel_coordinate", "plot_edf", "plot_timeline",
                                  "plot_param_importances", "plot_rank"])
def test_each_plot_is_titled_and_its_axes_named_as_optunas(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = getattr(vis, name)(small(nntune)), getattr(optuna.visualization, name)(small(optuna))
    assert ours.layout.title.text == theirs.layout.title.text
    if name in ("plot_optimization_history", "plot_intermediate_values", "plot_edf", "plot_timeline",
                "plot_param_importances"):  # one panel: the axes' names too
        for axis in ("xaxis", "yaxis"):
            assert ours.layout[axis].title.text == theirs.layout[axis].title.text, axis


def test_the_historys_legend_names_the_value_and_the_best_as_optuna_does():
    ours = vis.plot_optimization_history(small(nntune), target_name="loss")
    theirs = optuna.visualization.plot_optimization_history(small(optuna), target_name="loss")
    assert [tr.name for tr in ours.data] == [tr.name for tr in theirs.data if len(tr.x)] == ["loss", "Best Value"]


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_timeline_names_each_state_as_optuna_does_even_one(front):
    study, theirs = small(nntune), optuna.visualization.plot_timeline(small(optuna))
    if front == "plotly":
        ours = vis.plot_timeline(study)
        assert [tr.name for tr in ours.data] == [tr.name for tr in theirs.data] == ["COMPLETE"]
        assert ours.layout.showlegend is theirs.layout.showlegend is True  # plotly hides a legend of one trace
    else:
        ax = mvis.plot_timeline(study)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["COMPLETE"]


def test_the_history_of_several_studies_names_each_ones_lines_as_optuna_does():
    def pair(lib: Any) -> list[Any]:
        studies = []
        for seed, name in ((0, "first"), (1, "second")):
            study = lib.create_study(study_name=name, sampler=lib.samplers.RandomSampler(seed=seed))
            study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
            studies.append(study)
        return studies

    theirs = optuna.visualization.plot_optimization_history(pair(optuna), target_name="loss")
    ours = vis.plot_optimization_history(pair(nntune), target_name="loss")
    assert sorted(tr.name for tr in ours.data) == sorted(tr.name for tr in theirs.data if len(tr.x)) == [
        "Best Value of first", "Best Value of second", "loss of first", "loss of second"]
    drawn = mvis.plot_optimization_history(pair(nntune), target_name="loss")
    assert sorted(t.get_text() for t in drawn.get_legend().get_texts()) == sorted(tr.name for tr in ours.data)
    band = vis.plot_optimization_history(pair(nntune), target_name="loss", error_bar=True)
    mean = optuna.visualization.plot_optimization_history(pair(optuna), target_name="loss", error_bar=True)
    assert {"loss", "Best Value"} <= {tr.name for tr in band.data} and {tr.name for tr in mean.data} >= {"loss", "Best Value"}


@pytest.mark.parametrize("target_names", [None, ["p", "q", "r"]])
def test_a_pareto_plot_of_three_objectives_names_its_axes_as_optuna_does(target_names):
    def three(lib: Any) -> Any:
        study = lib.create_study(directions=["minimize"] * 3, sampler=lib.samplers.RandomSampler(seed=0))
        study.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1), t.suggest_float("c", 0, 1)),
                       n_trials=6)
        return study

    def titles(fig: go.Figure) -> list[str]:
        return [fig.layout.scene[f"{axis}axis"].title.text for axis in "xyz"]

    ours = vis.plot_pareto_front(three(nntune), target_names=target_names)
    theirs = optuna.visualization.plot_pareto_front(three(optuna), target_names=target_names)
    assert titles(ours) == titles(theirs) == (target_names or ["Objective 0", "Objective 1", "Objective 2"])
    drawn = mvis.plot_pareto_front(three(nntune), target_names=target_names)
    assert [drawn.get_xlabel(), drawn.get_ylabel(), drawn.get_zlabel()] == titles(ours)
