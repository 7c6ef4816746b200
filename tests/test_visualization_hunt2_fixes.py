"""plot_param_importances refuses a named parameter no complete trial used, as
get_param_importances (and Optuna's plot) do; plot_terminator_improvement reads what the
Terminator reads, diverged trials included."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.importance import FanovaImportanceEvaluator  # noqa: E402
from nntune.terminator import BestValueStagnationEvaluator, Terminator  # noqa: E402


@pytest.fixture(scope="module")
def ghostly() -> nntune.Study:
    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 3:  # only a pruned trial draws "ghost"
            trial.suggest_float("ghost", 0, 1)
            raise nntune.TrialPruned()
        return x ** 2 + trial.suggest_float("y", 0, 1)

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=10)
    return study


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
@pytest.mark.parametrize("evaluator", [None, FanovaImportanceEvaluator(seed=0)], ids=["default", "fanova"])
def test_a_named_parameter_no_complete_trial_used_is_refused_by_the_plot(ghostly, front, evaluator):
    plots = vis if front == "plotly" else vis.matplotlib
    with pytest.raises(ValueError, match=r"^params: no complete trial used \['ghost'\], so their importance "
                                         r"cannot be measured$"):
        plots.plot_param_importances(ghostly, evaluator=evaluator, params=["x", "ghost"])
    plt.close("all")


def test_named_parameters_complete_trials_used_are_still_drawn(ghostly):
    fig = vis.plot_param_importances(ghostly, params=["y", "x"])
    assert set(fig.data[0].y) == {"x", "y"}


def test_the_terminator_plot_counts_diverged_trials_as_the_terminator_does():
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    for value in [1.0, 0.5, math.inf, math.nan, 0.7, math.inf]:  # inf: complete, as in Optuna; nan: diverged
        trial = s.ask()
        trial.suggest_float("x", 0, 1)
        s.tell(trial, value)
    assert [t.state for t in s.trials].count(nntune.TrialState.DIVERGED) == 1
    stagnation = BestValueStagnationEvaluator(3)
    fig = vis.plot_terminator_improvement(s, improvement_evaluator=stagnation, min_n_trials=1)
    drawn = [y for trace in fig.data for y in trace.y]
    # The best (0.5, trial 1) stays put through four more trials: two of inf, one diverged.
    assert drawn[0] == 3.0 and drawn[-1] == -1.0
    reading = Terminator(stagnation, min_n_trials=1).read(s)
    assert reading is not None and reading.terminate and reading.improvement == drawn[-1]
    ax = vis.matplotlib.plot_terminator_improvement(s, improvement_evaluator=stagnation, min_n_trials=1)
    assert [y for line in ax.get_lines()[:2] for y in line.get_ydata()] == drawn
    plt.close("all")


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
def test_a_few_varied_trials_are_drawn_with_the_rough_warning_not_said_to_never_vary(front):
    # 5 complete trials with 5 values: get_param_importances answers (warning that so few
    # are rough), and Optuna's plot draws them; the plot must not claim the values never vary.
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: t.suggest_float("x", 0, 1) + 0.1 * t.suggest_float("y", 0, 1), n_trials=5)
    with pytest.warns(UserWarning, match="importance from 5 complete trials is rough") as caught:
        drawn = plots.plot_param_importances(s)
    assert all(w.filename == __file__ for w in caught)  # pointed at the caller
    names = set(drawn.data[0].y) if front == "plotly" else {t.get_text() for t in drawn.get_yticklabels()}
    assert names == {"x", "y"}
    plt.close("all")


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_min_n_trials_must_be_a_positive_integer_as_the_terminators(front, bad):
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match=rf"^min_n_trials: must be a positive integer, got {bad!r}$"):
        plots.plot_terminator_improvement(s, improvement_evaluator=BestValueStagnationEvaluator(2), min_n_trials=bad)
    with pytest.raises(ValueError, match="positive integer"):  # what the Terminator refuses too, True included
        Terminator(min_n_trials=bad)  # type: ignore[arg-type]


def _pruned_only(directions: list[str]) -> nntune.Study:
    s = nntune.create_study(directions=directions)
    for _ in range(3):
        trial = s.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_float("y", 0, 1)
        s.tell(trial, state=nntune.TrialState.PRUNED)
    return s


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
@pytest.mark.parametrize(("name", "directions", "reason"), [
    ("plot_parallel_coordinate", ["minimize"], "a parallel coordinate plot needs complete trials; the study has none yet"),
    ("plot_parallel_coordinate", ["minimize", "maximize"],
     "a parallel coordinate plot needs complete trials; the study has none yet"),
    ("plot_contour", ["minimize"], "a contour needs complete trials; the study has none yet")])
def test_a_study_of_pruned_trials_only_is_an_empty_figure_with_the_reason(front, name, directions, reason):
    # As Optuna's plots: an empty figure (here titled with why), not axes or panels with no lines in them.
    plots = vis if front == "plotly" else vis.matplotlib
    with pytest.warns(UserWarning, match=reason):
        drawn = getattr(plots, name)(_pruned_only(directions))
    if front == "plotly":
        assert not drawn.data and drawn.layout.title.text == reason
    else:
        assert drawn.get_title() == reason and not drawn.get_lines() and not drawn.collections
    plt.close("all")


@pytest.mark.parametrize("front", ["plotly", "matplotlib"])
@pytest.mark.parametrize(("name", "directions"), [("plot_parallel_coordinate", ["minimize"]),
                                                  ("plot_parallel_coordinate", ["minimize", "maximize"]),
                                                  ("plot_rank", ["minimize"])])
def test_empty_params_is_an_empty_figure_as_for_the_slice(front, name, directions):
    # Optuna draws nothing for params=[]: not a value axis alone, nor a rank of no parameter.
    plots = vis if front == "plotly" else vis.matplotlib
    s = nntune.create_study(directions=directions, sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: tuple(t.suggest_float(n, 0, 1) for n in "xy")[:len(directions)], n_trials=4)
    with pytest.warns(UserWarning, match="^no parameter to plot: params is empty$"):
        drawn = getattr(plots, name)(s, params=[])
    if front == "plotly":
        assert not drawn.data
    else:
        assert drawn.get_title() == "no parameter to plot: params is empty" and not drawn.collections
    plt.close("all")
