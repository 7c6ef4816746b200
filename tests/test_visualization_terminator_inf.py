"""plot_terminator_improvement of a study whose first complete trials returned inf: drawn
from the first finite value on, as the Terminator reads it, in both front ends."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.terminator import RegretBoundEvaluator, StaticErrorEvaluator, Terminator  # noqa: E402


@pytest.fixture(scope="module")
def starts_at_inf() -> nntune.Study:
    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        return math.inf if trial.number in (0, 1, 4) else x * x  # inf: a configuration ruled out

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=8)
    assert [t.state for t in study.trials] == [nntune.TrialState.COMPLETE] * 8 and study.trials[0].value == math.inf
    return study


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_plot_starts_at_the_first_finite_value(starts_at_inf, front):
    plots = vis if front == "plotly" else vis.matplotlib
    evaluator = RegretBoundEvaluator(min_n_trials=2, seed=0)
    # Was: "RegretBoundEvaluator: no trial has completed yet", at trial 0's inf.
    drawn = plots.plot_terminator_improvement(starts_at_inf, improvement_evaluator=evaluator, min_n_trials=3)
    if front == "plotly":
        xs = [x for trace in drawn.data for x in trace.x]
        ys = [y for trace in drawn.data for y in trace.y]
    else:
        lines = drawn.get_lines()[:2]
        xs = [x for line in lines for x in line.get_xdata()]
        ys = [y for line in lines for y in line.get_ydata()]
        plt.close("all")
    assert sorted(set(xs)) == [2, 3, 4, 5, 6, 7] and all(math.isfinite(y) for y in ys)


def test_min_n_trials_counts_finite_values_as_the_terminator_does(starts_at_inf):
    evaluator = RegretBoundEvaluator(min_n_trials=2, seed=0)
    fig = vis.plot_terminator_improvement(starts_at_inf, improvement_evaluator=evaluator, min_n_trials=3)
    light, solid = fig.data
    # Trials 2, 3, 5 are the first three finite ones: the Terminator decides from trial 5
    # on, and the line turns solid after it, as after the 3rd complete trial of any study.
    assert list(light.x) == [2, 3, 4, 5, 6] and list(solid.x) == [6, 7]
    assert Terminator(evaluator, StaticErrorEvaluator(0.0), min_n_trials=3).read(starts_at_inf) is not None
