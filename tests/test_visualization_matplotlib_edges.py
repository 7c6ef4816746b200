"""The matplotlib plots on studies at the edges: every trial of one value."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune.visualization import matplotlib as mvis  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_a_contour_of_trials_that_all_have_one_value_is_drawn_flat():
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: 0.0 * t.suggest_float("x", 0, 1) * t.suggest_float("y", 0, 1) + 0.25, n_trials=6)
    ax = mvis.plot_contour(study)  # raised "Contour levels must be increasing"
    assert ax.get_xlabel() == "x" and len(ax.collections) >= 2  # the surface and the trials
    assert ax.figure.axes[-1].get_ylabel() == "Objective Value"  # the colour bar, around 0.25
    low, high = ax.figure.axes[-1].get_ylim()
    assert low < 0.25 < high
