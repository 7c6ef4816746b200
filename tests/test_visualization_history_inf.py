"""``plot_optimization_history`` of a study whose trials returned inf or -inf (complete
trials, as in Optuna): the best-value line counts them as ``study.best_value`` and Optuna's
line do, instead of skipping them and drawing the best finite value as the best."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import optuna  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.visualization import matplotlib as vis_mpl  # noqa: E402

VALUES = [3.0, -math.inf, 1.0, math.inf, 2.0]


def optimized(module, direction: str, values: list[float] = VALUES):
    module.logging.set_verbosity(module.logging.WARNING)
    study = module.create_study(direction=direction)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), values[t.number])[1], n_trials=len(values))
    return study


def best_line(fig) -> list[tuple[int, float]]:
    trace = next(d for d in fig.data if d.name == "Best Value")
    return list(zip(map(int, trace.x), map(float, trace.y)))


def steps(line: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Where a best-so-far line changes (Optuna draws a point per trial, nntune a step per change)."""
    return [p for i, p in enumerate(line) if i == 0 or p[1] != line[i - 1][1]]


@pytest.mark.parametrize(("direction", "expected"), [("minimize", [(0, 3.0), (1, -math.inf)]),
                                                     ("maximize", [(0, 3.0), (3, math.inf)])])
def test_the_best_line_reaches_the_infinite_best_as_optuna_s_does(direction, expected):
    study = optimized(nntune, direction)
    ours = best_line(vis.plot_optimization_history(study))
    assert steps(ours) == steps(best_line(optuna.visualization.plot_optimization_history(
        optimized(optuna, direction)))) == expected
    assert ours[-1] == (4, study.best_value)  # the line runs on to the last trial


def test_a_first_trial_valued_inf_is_the_best_until_a_finite_one_beats_it():
    study = optimized(nntune, "minimize", [math.inf, 2.0, 1.0])
    assert steps(best_line(vis.plot_optimization_history(study))) == [(0, math.inf), (1, 2.0), (2, 1.0)]


def test_the_matplotlib_line_reaches_the_infinite_best_too():
    ax = vis_mpl.plot_optimization_history(optimized(nntune, "minimize"))
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "Best Value")
    assert steps(list(zip(map(int, line.get_xdata()), map(float, line.get_ydata())))) == [(0, 3.0), (1, -math.inf)]
