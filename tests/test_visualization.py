"""Optuna's plots by name, drawn by the report's figure code, and parameter importances."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import nntune
from nntune import visualization as vis
from nntune.importance import get_param_importances, measure_importances
from nntune.report.study_data import contour_data, edf_data, pareto_data, timeline_data


@pytest.fixture(scope="module")
def study():
    def objective(trial):
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        y = trial.suggest_float("y", -1, 1)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        for step in range(3):
            trial.report(x + y * y + 1 / (step + 1), step)
        return x + 3 * y * y + (kind == "b") * 0.01

    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(objective, n_trials=24)
    return s


def test_every_plot_is_a_plotly_figure_with_the_trials(study):
    figures = {name: getattr(vis, name)(study) for name in vis.__all__ if name.startswith("plot_")
               and name not in ("plot_pareto_front", "plot_hypervolume_history")}
    assert all(isinstance(f, go.Figure) and f.data for f in figures.values())
    history = figures["plot_optimization_history"]
    assert len(history.data[0].x) == 24
    contour = vis.plot_contour(study, params=["x", "y"])
    assert contour.layout.xaxis.type == "log" and isinstance(contour.data[0], go.Contour)
    with pytest.raises(ValueError, match=r"params: \['z'\] are not parameters of study"):
        vis.plot_slice(study, params=["z"])


def test_importances_sum_to_one_and_find_the_parameter_that_matters(study):
    imp = get_param_importances(study)
    assert set(imp) == {"x", "y", "kind"} and sum(imp.values()) == pytest.approx(1.0)
    assert next(iter(imp)) == "y"
    assert list(get_param_importances(study, params=["x", "y"])) in (["y", "x"],)
    with pytest.warns(UserWarning, match="at least"):
        assert get_param_importances(nntune.create_study()) == {}


def test_the_importance_plot_draws_any_evaluators_shares(study):
    from nntune.importance import FanovaImportanceEvaluator

    shares = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    fig = vis.plot_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    bars = fig.data[0]
    assert dict(zip(bars.y, bars.x)) == pytest.approx(shares) and list(bars.y)[-1] == "y"


def test_plot_rank_colors_every_pair_by_the_values_rank(study):
    fig = vis.plot_rank(study, params=["x", "y"])
    (splom,) = fig.data
    assert [d["label"] for d in splom.dimensions] == ["log10 x", "y"]
    best = min(range(len(splom.marker.color)), key=lambda i: splom.marker.color[i])
    assert splom.marker.color[best] == 0.0 and splom.text[best].endswith(f"Objective Value {study.best_value:.4g}")


def test_plot_rank_gives_equal_values_one_colour():
    # optuna's plot_rank averages the places of equal values; they were coloured in trial order.
    s = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: float(round(t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1))), n_trials=10)
    (splom,) = vis.plot_rank(s, params=["x", "y"]).data
    values = [t.value for t in s.trials]
    assert len(set(values)) < len(values)
    for v in set(values):
        assert len({c for c, w in zip(splom.marker.color, values) if w == v}) == 1


def test_the_hypervolume_history_of_two_objectives():
    from nntune._hypervolume import hypervolume

    s = nntune.create_study(directions=["maximize", "minimize"], sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=12)
    fig = vis.plot_hypervolume_history(s, reference_point=[0.0, 1.0])
    volumes = list(fig.data[0].y)
    front = np.array([[-t.values[0], t.values[1]] for t in s.best_trials])
    assert volumes[-1] == pytest.approx(hypervolume(front, np.array([0.0, 1.0])))
    assert all(b >= a for a, b in zip(volumes, volumes[1:])) and list(fig.data[0].x) == list(range(12))
    with pytest.raises(ValueError, match="reference_point needs 2 finite values"):
        vis.plot_hypervolume_history(s, reference_point=[1.0])
    with pytest.raises(ValueError, match="several objectives"):
        vis.plot_hypervolume_history(nntune.create_study(), reference_point=[1.0])


def test_several_objectives_need_a_target_except_for_the_front():
    s = nntune.create_study(directions=["minimize", "maximize"])
    s.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=6)
    with pytest.raises(ValueError, match="target="):
        vis.plot_optimization_history(s)
    fig = vis.plot_optimization_history(s, target=lambda t: t.values[0], target_name="a")
    assert len(fig.data[0].x) == 6
    front = vis.plot_pareto_front(s, target_names=["a", "b"])
    assert front.layout.xaxis.title.text == "a"
    with pytest.raises(ValueError, match="several objectives"):
        vis.plot_pareto_front(nntune.create_study())


def test_study_data_functions(study):
    trials = study.get_trials(deepcopy=False)
    space = nntune.Space({"x": nntune.Float(1e-3, 1.0, log=True), "y": nntune.Float(-1, 1)})
    c = contour_data(trials, space, "x", "y")
    assert len(c["grid"]["z"]) == 50 and len(c["value"]) == 24
    e = edf_data(trials)
    assert e["share"][-1] == 1.0 and e["value"] == sorted(e["value"])
    assert [r["number"] for r in timeline_data(trials)["rows"]] == list(range(24))
    p = pareto_data([nntune.create_trial(values=[1.0, 1.0]), nntune.create_trial(values=[2.0, 2.0])],
                    ["minimize", "minimize"])
    assert p["pareto"] == [True, False]


def test_pareto_front_options():
    s = nntune.create_study(directions=["minimize", "minimize"])
    for a, b in ((0.1, 0.9), (0.9, 0.1), (0.8, 0.8), (0.5, 0.5)):
        s.enqueue_trial({"a": a, "b": b})
    s.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=4)
    front_only = vis.plot_pareto_front(s, include_dominated_trials=False)
    assert sum(len(tr.x) for tr in front_only.data) == 3
    feasible = vis.plot_pareto_front(s, constraints_func=lambda t: [t.params["a"] - 0.6])
    on_front = [tr for tr in feasible.data if tr.name == "Best Trial"][0]
    assert sorted(on_front.x) == [0.1, 0.5]
    assert len(vis.plot_timeline(s, n_recent_trials=2).data[0].y) == 2



@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_front_names_its_axes_by_the_studys_metric_names(front):
    s = nntune.create_study(directions=["maximize", "minimize"])
    s.set_metric_names(["accuracy", "parameters"])
    s.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=4)
    plots = vis if front == "plotly" else vis.matplotlib

    def titles(drawn):
        if front == "plotly":
            return drawn.layout.xaxis.title.text, drawn.layout.yaxis.title.text
        return drawn.get_xlabel(), drawn.get_ylabel()

    assert titles(plots.plot_pareto_front(s)) == ("accuracy", "parameters")  # as Optuna's plot names them
    assert titles(plots.plot_pareto_front(s, target_names=["a", "b"])) == ("a", "b")  # given names win


def test_parallel_coordinates_keep_the_trials_without_a_conditional_parameter():
    # units_l1 exists only in trials of two layers; plotly draws no line that has a NaN on any
    # axis, so the one-layer trials would vanish from the plot, value and all.
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    for p in ({"n_layers": 1, "units_l0": 20, "act": "relu"}, {"n_layers": 1, "units_l0": 120},
              {"n_layers": 2, "units_l0": 60, "units_l1": 100, "act": "tanh"}):
        s.enqueue_trial(p)

    def objective(trial):
        layers = trial.suggest_int("n_layers", 1, 2)
        units = [trial.suggest_int(f"units_l{i}", 16, 128) for i in range(layers)]
        if trial.number != 1:
            trial.suggest_categorical("act", ["relu", "tanh"])
        return float(sum(units))

    s.optimize(objective, n_trials=3)
    dims = {d.label: d for d in vis.plot_parallel_coordinate(s).data[0].dimensions}
    assert all(np.isfinite(np.asarray(d.values, dtype=float)).all() for d in dims.values())
    units_l1 = dims["units_l1"]
    slot = units_l1.values[0]
    assert list(units_l1.values) == [slot, slot, 100.0] and slot < 100.0
    assert units_l1.ticktext[list(units_l1.tickvals).index(slot)] == "none"
    assert units_l1.range[0] <= slot and units_l1.range[1] == 100.0
    act = dims["act"]
    assert list(act.ticktext) == ["relu", "tanh", "none"] and list(act.values) == [0.0, 2.0, 1.0]
    assert list(dims["units_l0"].values) == [20.0, 120.0, 60.0] and dims["units_l0"].ticktext is None

def test_contour_of_more_than_two_parameters_draws_every_pair(study):
    fig = vis.plot_contour(study)  # x (log), y, kind: a 3 x 3 matrix, the diagonal empty
    axes = {k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")}
    assert axes == {"xaxis"} | {f"xaxis{i}" for i in range(2, 10)}
    surfaces = [t for t in fig.data if isinstance(t, go.Contour)]
    points = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert len(points) == 6 and len(surfaces) == 6  # a choice's axis too: the surface over its labels' places
    assert all(len(t.x) == 24 for t in points) and all(t.coloraxis == "coloraxis" for t in surfaces)
    assert sorted((t.xaxis, t.yaxis) for t in points) == sorted(
        (f"x{'' if i == 1 else i}", f"y{'' if i == 1 else i}") for i in (2, 3, 4, 6, 7, 8))
    assert fig.layout.xaxis7.title.text == "x" and fig.layout.yaxis7.title.text == "kind"
    assert fig.layout.xaxis4.type == "log" and fig.layout.xaxis8.type is None
    pair = vis.plot_contour(study, params=["y", "x"])
    assert pair.layout.xaxis.title.text == "y" and pair.layout.yaxis.type == "log" and len(pair.data) == 2
    with pytest.warns(UserWarning, match="a contour needs two parameters; there is 1"):
        lone = vis.plot_contour(study, params=["x"])
    assert not lone.data and "needs two parameters" in lone.layout.title.text


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_plots_of_a_study_with_nothing_to_draw_are_empty_figures_with_the_reason(front):
    plots = vis if front == "plotly" else vis.matplotlib
    empty = nntune.create_study()
    for name, words in (("plot_slice", "no complete trial"), ("plot_contour", "needs two parameters"),
                        ("plot_rank", "needs complete trials"),
                        ("plot_intermediate_values", "no intermediate values to plot: report them")):
        with pytest.warns(UserWarning, match=words):
            drawn = getattr(plots, name)(empty)
        title = drawn.layout.title.text if front == "plotly" else drawn.get_title()
        assert words in title, (name, title)



@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_importance_of_too_few_trials_says_why_instead_of_empty_bars(front):
    plots = vis if front == "plotly" else vis.matplotlib
    few = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    few.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1) ** 2, n_trials=1)
    with pytest.raises(ValueError, match="at least 2 complete trials") as raised:
        measure_importances(few)
    with pytest.warns(UserWarning, match="at least 2 complete trials"):
        drawn = plots.plot_param_importances(few)
    title = drawn.layout.title.text if front == "plotly" else drawn.get_title()
    assert title == str(raised.value)  # the reason get_param_importances gives, word for word

def test_edf_of_several_studies_draws_a_line_each(study):
    other = nntune.create_study(study_name="other", sampler=nntune.samplers.RandomSampler(seed=1))
    other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    fig = vis.plot_edf([study, other])
    assert [t.name for t in fig.data] == [study.study_name, "other"]
    assert list(fig.data[1].x) == sorted(t.value for t in other.trials) and fig.data[1].y[-1] == 1.0
    assert len(vis.plot_edf(study).data) == 1


def test_history_band_is_the_mean_and_spread_of_runs_per_trial_number():
    import dataclasses

    from nntune.trial import create_trial
    from nntune.visualization._data import history_band

    def run(values):
        out = []
        for i, v in enumerate(values):
            t = create_trial(value=v, params={}, distributions={}) if v is not None else \
                create_trial(state=nntune.TrialState.PRUNED, value=None, params={}, distributions={})
            out.append(dataclasses.replace(t, number=i))
        return out

    band = history_band([run([3.0, 1.0, 2.0]), run([None, 5.0])], "minimize")
    assert band["number"] == [0, 1, 2] and band["n_runs"] == 2
    assert band["value_mean"] == [3.0, 3.0, 2.0] and band["value_std"] == [0.0, 2.0, 0.0]
    # best so far: run A 3, 1, 1; run B none, 5, 5 (it has no trial 2: its best stays)
    assert band["best_mean"] == [3.0, 3.0, 3.0] and band["best_std"] == [0.0, 2.0, 2.0]
    assert history_band([run([1.0, 3.0])], "maximize")["best_mean"] == [1.0, 3.0]


def test_the_terminator_improvement_is_the_evaluators_reading_on_each_prefix():
    from nntune.terminator import BestValueStagnationEvaluator, StaticErrorEvaluator

    s = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: -(t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=12)
    s.tell(s.ask(), state=nntune.TrialState.PRUNED)  # drawn after the last complete trial, reading unchanged
    stagnation = BestValueStagnationEvaluator(5)
    fig = vis.plot_terminator_improvement(s, plot_error=True, improvement_evaluator=stagnation, min_n_trials=4)
    done = s.trials[:12]
    expected = [stagnation.evaluate(done[:i + 1], "maximize") for i in range(12)]
    light, solid, error = fig.data
    assert list(light.x) == list(range(5)) and list(solid.x) == list(range(4, 13))
    assert list(light.y) + list(solid.y)[1:] == expected + expected[-1:]
    assert list(error.y) == [0.0] * 13  # stagnation's own default error
    plain = vis.plot_terminator_improvement(s, improvement_evaluator=stagnation,
                                            error_evaluator=StaticErrorEvaluator(3.0))
    assert len(plain.data) == 1  # no error unless asked; all 13 points before min_n_trials=20
    with pytest.raises(ValueError, match="one objective"):
        vis.plot_terminator_improvement(nntune.create_study(directions=["minimize", "maximize"]))


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_curves_of_a_study_of_several_objectives_are_drawn(front):
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(directions=["minimize", "minimize"], sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in (1, 4, 9):  # irregular steps
            trial.report(x * step, step)
        return x, 1 - x

    s.optimize(objective, n_trials=4)
    drawn = plots.plot_intermediate_values(s)
    if front == "plotly":  # the curves share one trace, NaN between them
        curves = [tr for tr in drawn.data if tr.name == "other trials"][0]
        assert [x for x in curves.x if not np.isnan(x)] == [1, 4, 9] * 4
    else:
        curves = [line for line in drawn.get_lines() if str(line.get_gid()).startswith("trial ")]
        assert [list(line.get_xdata()) for line in curves] == [[1, 4, 9]] * 4


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_front_refuses_targets_and_names_of_the_wrong_length_by_name(front):
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(directions=["minimize", "minimize"])
    s.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=3)
    with pytest.raises(ValueError, match="targets: must return 2 or 3 values per trial to plot, got 1"):
        plots.plot_pareto_front(s, targets=lambda t: (t.values[0],))
    with pytest.raises(ValueError, match="target_names: needs 2 names, one per objective, got 1"):
        plots.plot_pareto_front(s, target_names=["a"])
    with pytest.raises(ValueError, match="target_names: needs 3 names, one per target, got 2"):
        plots.plot_pareto_front(s, targets=lambda t: (*t.values, t.params["a"]), target_names=["a", "b"])


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_a_front_of_four_objectives_asks_for_the_targets_to_draw(front):
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(directions=["minimize"] * 4)
    s.optimize(lambda t: tuple(t.suggest_float(n, 0, 1) for n in "abcd"), n_trials=3)
    with pytest.raises(ValueError, match="4 objectives and a Pareto plot has 2 or 3 axes; give targets="):
        plots.plot_pareto_front(s)
    plots.plot_pareto_front(s, targets=lambda t: t.values[:2])  # two of them, chosen


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_importance_of_no_parameter_says_so(front, study):
    plots = vis if front == "plotly" else vis.matplotlib
    with pytest.warns(UserWarning, match="no parameter to plot: params is empty"):
        plots.plot_param_importances(study, params=[])


def _constrained_study() -> nntune.Study:
    """x is the value; x < 0.2 breaks the constraint, so the best feasible trial is 0.3."""
    s = nntune.create_study(sampler=nntune.samplers.TPESampler(seed=0, constraints_func=lambda t: t.user_attrs["c"]))
    for x in (0.5, 0.1, 0.7, 0.3, 0.05):
        s.enqueue_trial({"x": x})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("c", [0.2 - x])
        return x

    s.optimize(objective, n_trials=5)
    return s


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_best_so_far_skips_trials_that_break_the_constraints(front):
    plots = vis if front == "plotly" else vis.matplotlib
    s = _constrained_study()
    assert s.best_value == 0.3
    drawn = plots.plot_optimization_history(s)
    if front == "plotly":
        best = [tr for tr in drawn.data if tr.name == "Best Value"][0]
        assert list(best.x) == [0, 3, 4] and list(best.y) == [0.5, 0.3, 0.3]
    else:
        best = [line for line in drawn.get_lines() if line.get_gid() == "best"][0]
        assert list(best.get_xdata()) == [0, 3, 4] and list(best.get_ydata()) == [0.5, 0.3, 0.3]
    band = vis._data.history_bands([s, s], None)
    assert band["best_mean"] == [0.5, 0.5, 0.5, 0.3, 0.3]


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_a_target_has_no_best_so_far_and_its_name_is_the_axis(front):
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=6)
    # Which way a target improves is unknown: a minimum so far would be a wrong "best" here.
    for drawn in (plots.plot_optimization_history(s, target=lambda t: t.value, target_name="accuracy"),
                  plots.plot_optimization_history([s, s], target=lambda t: t.value, target_name="accuracy",
                                                  error_bar=True)):
        if front == "plotly":
            assert not [tr for tr in drawn.data if "best" in str(tr.name)]
            assert drawn.layout.yaxis.title.text == "accuracy"
        else:
            assert not [line for line in drawn.get_lines() if "best" in str(line.get_gid())]
            assert drawn.get_ylabel() == "accuracy"


def test_the_importance_bars_are_named_by_target_name(study):
    fig = vis.plot_param_importances(study, target_name="val loss")
    assert fig.data[0].name == "val loss" and "val loss" in fig.data[0].hovertemplate


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_the_timeline_refuses_a_count_of_recent_trials_that_is_not_positive(front, bad, study):
    plots = vis if front == "plotly" else vis.matplotlib
    with pytest.raises(ValueError, match=rf"n_recent_trials: must be a positive integer or None, got {bad!r}"):
        plots.plot_timeline(study, n_recent_trials=bad)


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_the_terminator_plot_counts_complete_trials_for_min_n_trials_and_reads_each_once(front):
    from nntune.terminator import BestValueStagnationEvaluator

    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    for i in range(12):  # complete and pruned in turn, as a pruner leaves a study
        trial = s.ask()
        x = trial.suggest_float("x", 0, 1)
        s.tell(trial, x) if i % 2 == 0 else s.tell(trial, state=nntune.TrialState.PRUNED)

    class Counted(BestValueStagnationEvaluator):
        calls = 0

        def evaluate(self, trials, study_direction):
            Counted.calls += 1
            return super().evaluate(trials, study_direction)

    drawn = plots.plot_terminator_improvement(s, improvement_evaluator=Counted(5), min_n_trials=3)
    assert Counted.calls == 6  # once per complete trial, not again for the pruned ones
    # The terminator decides from the 3rd complete trial on; the line turns solid after it
    # (trial 6, the 4th complete one), not after the 3rd point of the plot.
    if front == "plotly":
        light, solid = drawn.data
        assert list(light.x) == list(range(7)) and list(solid.x) == list(range(6, 12))
    else:
        light, solid = drawn.get_lines()[:2]
        assert list(light.get_xdata()) == list(range(7)) and list(solid.get_xdata()) == list(range(6, 12))


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_a_target_leaves_out_pruned_trials_whose_value_is_in_other_units(front):
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    for i in range(6):
        trial = s.ask()
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("ms", 1000.0 + i)
        trial.report(x, 1)  # a pruned trial's value: x where it stopped
        s.tell(trial, state=nntune.TrialState.PRUNED) if i % 2 else s.tell(trial, x)
    target = {"target": lambda t: t.user_attrs["ms"], "target_name": "ms"}
    for drawn in (plots.plot_optimization_history(s, **target), plots.plot_slice(s, **target)):
        if front == "plotly":
            shown = [y for tr in drawn.data for y in tr.y]
        else:
            shown = [y for c in drawn.collections for _, y in c.get_offsets()]
        assert sorted(shown) == [1000.0, 1002.0, 1004.0]


def test_the_rank_of_one_parameter_is_drawn_against_the_value(study):
    fig = vis.plot_rank(study, params=["y"], target_name="loss")
    splom = fig.data[0]  # a matrix without its diagonal and upper half: its one cell must be a pair
    assert [d.label for d in splom.dimensions] == ["y", "loss"]
    assert list(splom.dimensions[1].values) == [t.value for t in study.trials]


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_a_slice_of_no_parameter_says_why_without_denying_the_complete_trials(front, study):
    plots = vis if front == "plotly" else vis.matplotlib
    with pytest.warns(UserWarning, match="^no parameter to plot: params is empty$"):
        plots.plot_slice(study, params=[])
