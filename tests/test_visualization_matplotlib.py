"""Optuna's matplotlib plots by name (``nntune.visualization.matplotlib``): what each draws
is the study's data, and bad input raises what the plotly version raises."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.importance import FanovaImportanceEvaluator, get_param_importances  # noqa: E402
from nntune.trial import TrialState  # noqa: E402
from nntune.visualization import matplotlib as mvis  # noqa: E402

PARAMS = ["lr", "width", "units", "kind"]


def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    width = trial.suggest_float("width", -1.0, 1.0)
    units = trial.suggest_int("units", 1, 8)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    value = 0.0
    for step in range(4):
        value = abs(width) + 10 * lr + units / 10 + (kind == "b") * 0.2 + 1 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return value


def make_study(name: str, seed: int, n_trials: int):
    s = nntune.create_study(study_name=name, sampler=nntune.samplers.RandomSampler(seed=seed),
                            pruner=nntune.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    s.optimize(objective, n_trials=n_trials)
    return s


@pytest.fixture(scope="module")
def study():
    s = make_study("first", 0, 30)
    states = [t.state for t in s.trials]
    assert states.count(TrialState.PRUNED) >= 3 and states.count(TrialState.COMPLETE) >= 8
    return s


@pytest.fixture(scope="module")
def two_objectives():
    s = nntune.create_study(directions=["minimize", "maximize"], sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=15)
    return s


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def complete(study):
    return [t for t in study.trials if t.state == TrialState.COMPLETE]


def scatter(ax: Axes, gid: str) -> np.ndarray:
    (coll,) = [c for c in ax.collections if c.get_gid() == gid]
    return np.asarray(coll.get_offsets())


def test_history_draws_every_value_and_the_running_best(study):
    ax = mvis.plot_optimization_history(study)
    done = complete(study)
    assert scatter(ax, "complete").tolist() == [[t.number, t.value] for t in done]
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert scatter(ax, "pruned").tolist() == [[t.number, t.value] for t in pruned]
    (best,) = [line for line in ax.lines if line.get_gid() == "best"]
    xs, ys = best.get_xdata(), best.get_ydata()
    assert best.get_drawstyle() == "steps-post"
    running = np.minimum.accumulate([t.value for t in done])
    for t, want in zip(done, running):  # a step line: the value of the last step at or before n
        assert ys[np.searchsorted(xs, t.number, side="right") - 1] == want
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Optimization History Plot", "Trial",
                                                                  "Objective Value")
    assert "Best Value" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_intermediate_values_draw_every_curve_pruned_apart(study):
    ax = mvis.plot_intermediate_values(study)
    curves = {line.get_gid(): line for line in ax.lines if str(line.get_gid()).startswith("trial ")}
    assert set(curves) == {f"trial {t.number}" for t in study.trials if t.intermediate_values}
    for t in study.trials:
        line = curves[f"trial {t.number}"]
        steps = sorted(t.intermediate_values)
        assert list(line.get_xdata()) == steps and list(line.get_ydata()) == [t.intermediate_values[s] for s in steps]
    pruned_colors = {matplotlib.colors.to_hex(curves[f"trial {t.number}"].get_color())
                     for t in study.trials if t.state == TrialState.PRUNED}
    complete_colors = {matplotlib.colors.to_hex(curves[f"trial {t.number}"].get_color()) for t in complete(study)}
    assert len(pruned_colors) == len(complete_colors) == 1 and pruned_colors != complete_colors
    assert ax.get_xlabel() == "Step" and ax.get_ylabel() == "Intermediate Value"


def test_parallel_coordinate_draws_a_line_per_complete_trial(study):
    ax = mvis.plot_parallel_coordinate(study, target_name="loss")
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    done = complete(study)
    assert len(lines.get_segments()) == len(done)
    assert list(lines.get_array()) == pytest.approx([t.value for t in done])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lr (log)", "width", "units", "kind", "loss"]
    assert ax.figure.axes[-1].get_ylabel() == "loss"  # the colorbar


def test_slice_has_a_panel_per_parameter_with_every_trial_that_has_it(study):
    axs = mvis.plot_slice(study)
    assert isinstance(axs, np.ndarray) and axs.shape == (len(PARAMS),)
    scored = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    for ax, name in zip(axs, PARAMS):
        assert ax.get_xlabel() == name
        points = len(scatter(ax, "complete")) + len(scatter(ax, "pruned"))
        assert points == sum(name in t.params for t in scored)
        assert sorted(scatter(ax, "complete")[:, 1]) == sorted(t.value for t in complete(study))
    assert axs[0].get_xscale() == "log" and axs[1].get_xscale() == "linear"
    assert [t.get_text() for t in axs[3].get_xticklabels()] == ["a", "b", "c"]
    kinds = [["a", "b", "c"].index(t.params["kind"]) for t in complete(study)]
    assert scatter(axs[3], "complete")[:, 0].tolist() == kinds
    one = mvis.plot_slice(study, params=["lr"])
    assert isinstance(one, Axes) and len(scatter(one, "complete")) == len(complete(study))


def test_contour_of_two_parameters_is_one_panel_on_their_scales(study):
    ax = mvis.plot_contour(study, params=["lr", "width"])
    assert isinstance(ax, Axes) and (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr", "width")
    assert scatter(ax, "trials").tolist() == [[t.params["lr"], t.params["width"]] for t in complete(study)]
    assert len(ax.collections) > 1  # the interpolated surface under the points


def test_contour_of_more_parameters_is_a_matrix_of_every_pair(study):
    axs = mvis.plot_contour(study)
    assert isinstance(axs, np.ndarray) and axs.shape == (len(PARAMS), len(PARAMS))
    for r, y in enumerate(PARAMS):
        for c, x in enumerate(PARAMS):
            ax = axs[r, c]
            if r == c:
                assert [t.get_text() for t in ax.texts] == [x] and not ax.collections
                continue
            points = scatter(ax, "trials")
            assert len(points) == len(complete(study))
            if "kind" not in (x, y):
                xs = [t.params[x] for t in complete(study)]
                assert points[:, 0].tolist() == xs
    assert [t.get_text() for t in axs[0, 3].get_xticklabels()] == ["a", "b", "c"]
    assert axs[3, 0].get_xlabel() == "lr" and axs[3, 0].get_ylabel() == "kind"


def test_edf_draws_a_line_per_study_named_by_it(study):
    other = make_study("second", 1, 12)
    ax = mvis.plot_edf([study, other])
    assert [line.get_label() for line in ax.lines] == ["first", "second"]
    for line, s in zip(ax.lines, (study, other)):
        assert list(line.get_xdata()) == sorted(t.value for t in complete(s))
        assert line.get_ydata()[-1] == 1.0
    assert len(mvis.plot_edf(study).lines) == 1


def test_timeline_has_a_bar_per_trial_from_start_to_end(study):
    ax = mvis.plot_timeline(study)
    bars = {int(round(p.get_y() + p.get_height() / 2)): p for p in ax.patches}
    assert sorted(bars) == [t.number for t in study.trials]
    for t in study.trials:
        width = mdates.date2num(t.datetime_complete) - mdates.date2num(t.datetime_start)
        assert bars[t.number].get_width() == pytest.approx(width, abs=1e-9)
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["COMPLETE", "PRUNED"]  # as Optuna's
    assert len(mvis.plot_timeline(study, n_recent_trials=5).patches) == 5


@pytest.mark.parametrize("evaluator", [None, FanovaImportanceEvaluator(seed=0)], ids=["default", "fanova"])
def test_importance_bars_are_get_param_importances(study, evaluator):
    ax = mvis.plot_param_importances(study, evaluator=evaluator)
    names = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches]
    assert dict(zip(names, widths)) == pytest.approx(get_param_importances(study, evaluator=evaluator))
    assert names[-1] == next(iter(get_param_importances(study, evaluator=evaluator)))  # the largest on top


def test_pareto_front_marks_the_best_trials(two_objectives):
    ax = mvis.plot_pareto_front(two_objectives, target_names=["a", "b"])
    front = sorted(map(tuple, scatter(ax, "front").tolist()))
    assert front == sorted(tuple(t.values) for t in two_objectives.best_trials)
    assert len(front) + len(scatter(ax, "dominated")) == len(two_objectives.trials)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    only = mvis.plot_pareto_front(two_objectives, include_dominated_trials=False)
    assert [c.get_gid() for c in only.collections] == ["front"]


def test_rank_colours_each_trial_by_its_values_rank(study):
    ax = mvis.plot_rank(study, params=["lr", "kind"])
    assert isinstance(ax, Axes) and ax.get_xscale() == "log"
    done = complete(study)
    points = scatter(ax, "trials")
    assert points[:, 0].tolist() == pytest.approx([t.params["lr"] for t in done])
    assert points[:, 1].tolist() == [["a", "b", "c"].index(t.params["kind"]) for t in done]
    colour = ax.collections[0].get_array()
    assert done[int(np.argmin(colour))].value == study.best_value and max(colour) == 1.0
    axs = mvis.plot_rank(study)
    assert isinstance(axs, np.ndarray) and axs.shape == (len(PARAMS), len(PARAMS))
    assert len(scatter(axs[1, 0], "trials")) == len(done)


def test_hypervolume_history_matches_the_plotly_one(two_objectives):
    ax = mvis.plot_hypervolume_history(two_objectives, reference_point=[1.0, 0.0])
    (line,) = ax.lines
    plotly = vis.plot_hypervolume_history(two_objectives, reference_point=[1.0, 0.0]).data[0]
    assert list(line.get_xdata()) == list(plotly.x) == list(range(15))
    assert list(line.get_ydata()) == pytest.approx(list(plotly.y))
    assert ax.get_ylabel() == "Hypervolume"


def _bad_inputs(study, two_objectives):
    """What both front ends refuse (nothing to draw, e.g. a contour of one parameter, is an
    empty figure with a warning instead: test_visualization)."""
    single = nntune.create_study()
    return [
        ("plot_slice", (study,), {"params": ["z"]}),
        ("plot_contour", (study,), {"params": ["z", "lr"]}),
        ("plot_optimization_history", (two_objectives,), {}),
        ("plot_edf", ([study, two_objectives],), {}),
        ("plot_pareto_front", (single,), {}),
        ("plot_hypervolume_history", (two_objectives,), {"reference_point": [1.0]}),
        ("plot_hypervolume_history", (single,), {"reference_point": [1.0]}),
        ("plot_terminator_improvement", (two_objectives,), {}),
    ]


def test_bad_input_raises_what_the_plotly_version_raises(study, two_objectives):
    for name, args, kwargs in _bad_inputs(study, two_objectives):
        with pytest.raises(ValueError) as theirs:
            getattr(vis, name)(*args, **kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(mvis, name)(*args, **kwargs)
        assert str(ours.value) == str(theirs.value), name


def test_a_target_plots_one_objective_of_several(two_objectives):
    ax = mvis.plot_optimization_history(two_objectives, target=lambda t: t.values[1], target_name="b")
    assert scatter(ax, "complete")[:, 1].tolist() == [t.values[1] for t in two_objectives.trials]
    assert ax.get_ylabel() == "b"


def test_same_names_as_the_plotly_module_and_available():
    assert mvis.__all__ == vis.__all__ and mvis.is_available()


def test_a_script_reaches_the_module_as_optuna_visualization_matplotlib(tmp_path):
    script = """
import matplotlib
matplotlib.use("Agg")
import nntune as optuna
s = optuna.create_study()
s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=5)
ax = optuna.visualization.matplotlib.plot_slice(s)
ax[0].figure.savefig("slice.png")
print(len(ax))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2" and (tmp_path / "slice.png").stat().st_size > 0


def test_history_of_several_studies_draws_each_and_with_error_bar_their_mean_and_spread(study):
    other = make_study("second", 1, 20)
    ax = mvis.plot_optimization_history([study, other])
    by_gid = {c.get_gid(): c for c in ax.collections}
    assert set(by_gid) == {"first trials", "second trials"}
    complete = [t for t in other.trials if t.state == TrialState.COMPLETE]
    assert np.allclose(by_gid["second trials"].get_offsets()[:, 1], [t.value for t in complete])
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert lines["second best"].get_ydata()[-1] == pytest.approx(min(t.value for t in complete))
    plt.close("all")

    ax = mvis.plot_optimization_history([study, other], error_bar=True)
    best = next(line for line in ax.get_lines() if line.get_gid() == "best")
    n = len(study.trials)
    assert len(best.get_xdata()) == n  # the longer run sets the length

    def best_after(s, k):
        values = [t.value for t in s.trials[:k + 1] if t.state == TrialState.COMPLETE]
        return min(values) if values else None

    k = 15  # both runs have complete trials by then
    pair = [best_after(study, k), best_after(other, k)]
    assert best.get_ydata()[k] == pytest.approx(np.mean(pair))
    plotly_band = vis.plot_optimization_history([study, other], error_bar=True)
    assert plotly_band.data[1].y[k] == pytest.approx(np.mean(pair))
    assert list(plotly_band.data[2].error_y.array)[k] is not None
    plt.close("all")
    maximized = nntune.create_study(direction="maximize")
    maximized.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    for plot in (mvis.plot_optimization_history, vis.plot_optimization_history):
        with pytest.raises(ValueError, match="different directions"):
            plot([study, maximized])
        with pytest.raises(ValueError, match="not an empty sequence"):
            plot([])


def test_terminator_improvement_matches_the_plotly_one(study):
    from nntune.terminator import RegretBoundEvaluator, StaticErrorEvaluator

    kwargs = {"plot_error": True, "error_evaluator": StaticErrorEvaluator(0.05), "min_n_trials": 10}
    ax = mvis.plot_terminator_improvement(study, improvement_evaluator=RegretBoundEvaluator(seed=3), **kwargs)
    plotly = vis.plot_terminator_improvement(study, improvement_evaluator=RegretBoundEvaluator(seed=3), **kwargs)
    light, solid, error = ax.lines
    assert list(light.get_xdata()) + list(solid.get_xdata())[1:] == list(plotly.data[0].x) + list(plotly.data[1].x)[1:]
    assert list(solid.get_ydata()) == pytest.approx(list(plotly.data[1].y))
    assert list(error.get_ydata()) == [0.05] * len(error.get_ydata()) and ax.get_ylabel() == "Terminator Improvement"


def test_curves_of_failed_and_running_trials_are_not_called_complete():
    s = nntune.create_study()

    def diverging(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 1)
        trial.report(x * 2, 2)
        raise RuntimeError("diverged")

    s.optimize(diverging, n_trials=2, catch=(RuntimeError,))
    s.ask().report(0.5, 1)  # still running
    ax = mvis.plot_intermediate_values(s)
    labels = {line.get_label() for line in ax.lines if str(line.get_gid()).startswith("trial ")}
    assert labels == {"failed trials", "running trials", "_nolegend_"}
