"""Plots of a study of several objectives, as Optuna's: ``target=``/``target_name=`` pick and
name the number drawn; without ``target`` the single-number plots refuse, and the parallel
coordinates draw an axis per objective, each line coloured by its trial's Pareto rank."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.trial import TrialState  # noqa: E402

FRONTS = {"plotly": vis, "matplotlib": vis.matplotlib}


@pytest.fixture(scope="module")
def study():
    s = nntune.create_study(directions=["minimize", "maximize"], sampler=nntune.samplers.RandomSampler(seed=0))
    s.set_metric_names(["loss", "acc"])
    s.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1) + t.suggest_int("z", 1, 3)),
               n_trials=12)
    return s


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts_of(fig):
    """Every text a figure shows (a plotly figure's JSON, a matplotlib figure's text artists)."""
    if hasattr(fig, "to_json"):
        return fig.to_json()
    ax = fig.flat[0] if hasattr(fig, "flat") else fig
    return " ".join(t.get_text() for t in ax.figure.findobj(matplotlib.text.Text))


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("name", ["plot_optimization_history", "plot_slice", "plot_contour", "plot_edf", "plot_rank"])
def test_the_plots_of_one_number_refuse_several_objectives_without_target_and_name_it_with(study, front, name):
    plot = getattr(FRONTS[front], name)
    with pytest.raises(ValueError, match="target="):
        plot(study)
    assert "SECOND" in texts_of(plot(study, target=lambda t: t.values[1], target_name="SECOND"))


def pareto_rank_of(study):
    """Each complete trial's non-domination rank, peeled front by front from best_trials' rule."""
    left = [t for t in study.trials if t.state == TrialState.COMPLETE]
    ranks, k = {}, 0
    sign = [1 if str(d) == "minimize" else -1 for d in study.directions]
    while left:
        def dominated(t):
            return any(all(s * a <= s * b for s, a, b in zip(sign, o.values, t.values)) and o.values != t.values
                       for o in left)
        front = [t for t in left if not dominated(t)]
        ranks.update({t.number: k for t in front})
        left = [t for t in left if t not in front]
        k += 1
    return ranks


def test_the_parallel_coordinates_of_several_objectives_have_an_axis_each_and_rank_colours(study):
    fig = vis.plot_parallel_coordinate(study)
    (trace,) = fig.data
    assert [d.label for d in trace.dimensions] == ["loss", "acc", "x", "y", "z"]
    assert trace.line.colorbar.title.text == "Pareto Rank" and trace.line.reversescale
    ranks = pareto_rank_of(study)
    done = {t.values[0]: t for t in study.trials if t.state == TrialState.COMPLETE}
    shown = [(done[loss].number, rank) for loss, rank in zip(trace.dimensions[0]["values"], trace.line.color)]
    assert sorted(shown) == sorted(ranks.items())
    # The front's lines drawn last, on top.
    assert list(trace.line.color) == sorted(trace.line.color, reverse=True)
    # A target: the one number, as before.
    one = vis.plot_parallel_coordinate(study, target=lambda t: t.values[1], target_name="acc only")
    assert [d.label for d in one.data[0].dimensions][-1] == "acc only"


def test_the_matplotlib_parallel_coordinates_of_several_objectives_name_each_objective(study):
    ax = vis.matplotlib.plot_parallel_coordinate(study)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["loss", "acc", "x", "y", "z"]
    assert "Pareto Rank" in texts_of(ax)


def test_objectives_without_metric_names_are_numbered_as_optunas():
    s = nntune.create_study(directions=["minimize", "minimize"], sampler=nntune.samplers.RandomSampler(seed=1))
    s.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
    labels = [d.label for d in vis.plot_parallel_coordinate(s).data[0].dimensions]
    assert labels == ["Objective 0", "Objective 1", "x", "y"]
