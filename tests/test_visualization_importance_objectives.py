"""plot_param_importances of a study of several objectives without target=: a bar per
objective, named by its metric name (or "Objective Value <i>"), as Optuna draws it."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.importance import (FanovaImportanceEvaluator, PedAnovaImportanceEvaluator,  # noqa: E402
                               get_param_importances)
from nntune.visualization import matplotlib as mvis  # noqa: E402


@pytest.fixture(scope="module")
def study():
    s = nntune.create_study(directions=["minimize", "maximize"], sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1) + 0.1 * t.suggest_float("z", 0, 1)),
               n_trials=16)
    return s


def test_a_bar_per_objective_each_the_objectives_own_importances(study):
    fig = vis.plot_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert [bar.name for bar in fig.data] == ["Objective Value 0", "Objective Value 1"]
    for i, bar in enumerate(fig.data):
        expected = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0),
                                         target=lambda t, i=i: t.values[i])
        assert dict(zip(bar.y, bar.x)) == pytest.approx(expected)
    assert list(fig.data[0].y) == list(fig.data[1].y) and fig.data[0].y[-1] == "x"  # one order: the first's
    assert fig.layout.barmode == "group"


def test_a_maximized_objective_is_explained_high_by_ped_anova(study):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        fig = vis.plot_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    assert not [w for w in said if "explains what makes the target low" in str(w.message)]
    with pytest.warns(UserWarning, match="explains what makes the target low"):
        high = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(), target=lambda t: -t.values[1])
    assert dict(zip(fig.data[1].y, fig.data[1].x)) == pytest.approx(high)


def test_the_matplotlib_twin_names_the_bars_by_the_metric_names(study):
    study.set_metric_names(["loss", "accuracy"])
    try:
        ax = mvis.plot_param_importances(study)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "accuracy"]
        assert len(ax.patches) == 2 * 3
    finally:
        plt.close("all")
