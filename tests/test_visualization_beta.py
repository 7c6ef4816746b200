"""A Beta parameter (an averaging coefficient, searched by decades of 1 - beta) is drawn on
its own scale by every plot of parameters: a log axis of 1 - beta, beta growing to the right."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.visualization import matplotlib as mvis  # noqa: E402


@pytest.fixture(scope="module")
def study():
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        momentum = trial.suggest_beta("momentum", 0.9, 0.999)
        return (math.log10(lr) + 2) ** 2 + (math.log10(1 - momentum) + 2) ** 2

    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(objective, n_trials=16)
    return s


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _momenta(study):
    return [t.params["momentum"] for t in study.trials if t.state == nntune.trial.TrialState.COMPLETE]


def test_the_contour_draws_one_minus_beta_on_a_reversed_log_axis(study):
    fig = vis.plot_contour(study, params=["lr", "momentum"])
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.yaxis.title.text == "1 - momentum" and fig.layout.xaxis.autorange is None
    points = fig.data[-1]
    assert sorted(points.y) == pytest.approx(sorted(1 - m for m in _momenta(study)))
    grid = np.array(fig.data[0].y)  # the surface spans the trials' decades, evenly on the log axis
    assert np.diff(np.log10(grid)) == pytest.approx(np.full(len(grid) - 1, np.diff(np.log10(grid))[0]))


def test_the_contour_matrix_reverses_the_beta_axes_only():
    three = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=1))
    three.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_beta("b", 0.5, 0.99)
                   + t.suggest_float("y", 0, 1), n_trials=10)
    fig = vis.plot_contour(three)  # rows y, columns x: b is column 2 and row 2
    for i in (2, 8):  # row 1 col 2, row 3 col 2: x is b
        axis = fig.layout[f"xaxis{i}"]
        assert axis.type == "log" and axis.autorange == "reversed"
    assert fig.layout.xaxis4.autorange is None and fig.layout.yaxis4.autorange == "reversed"  # row 2 col 1: y is b


def test_parallel_coordinates_and_rank_use_decades_of_one_minus_beta(study):
    dims = {d.label: d for d in vis.plot_parallel_coordinate(study).data[0].dimensions}
    assert "log10(1 - momentum)" in dims and "momentum" not in dims
    assert sorted(dims["log10(1 - momentum)"].values) == pytest.approx(sorted(math.log10(1 - m)
                                                                               for m in _momenta(study)))
    rank = vis.plot_rank(study, params=["lr", "momentum"])
    assert [d.label for d in rank.data[0].dimensions] == ["log10 lr", "log10(1 - momentum)"]
    assert rank.layout.xaxis2.autorange == "reversed" and rank.layout.xaxis.autorange is None


def test_the_matplotlib_twins_draw_the_same_axes(study):
    ax = mvis.plot_contour(study, params=["lr", "momentum"])
    assert ax.get_yscale() == "log" and ax.yaxis_inverted() and ax.get_ylabel() == "1 - momentum"
    ax = mvis.plot_rank(study, params=["momentum"])
    assert ax.get_xscale() == "log" and ax.xaxis_inverted() and ax.get_xlabel() == "1 - momentum"
    ax = mvis.plot_parallel_coordinate(study)
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["lr (log)", "1 - momentum (log)"]
