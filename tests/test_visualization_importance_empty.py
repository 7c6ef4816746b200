"""plot_param_importances on a study too small to explain draws an empty figure saying why,
with a warning, whichever evaluator measures (as it does with the default one)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import nntune  # noqa: E402
from nntune import visualization as vis  # noqa: E402
from nntune.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator  # noqa: E402
from nntune.visualization import matplotlib as mvis  # noqa: E402


@pytest.fixture(scope="module")
def small():
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    return study


@pytest.mark.parametrize("evaluator", [None, FanovaImportanceEvaluator(seed=0), PedAnovaImportanceEvaluator()])
def test_too_few_trials_give_an_empty_figure_with_the_reason(small, evaluator):
    reason = "importance needs at least 2 complete trials whose values vary; this study has 1"
    with pytest.warns(UserWarning, match=reason):
        fig = vis.plot_param_importances(small, evaluator=evaluator)
    assert not fig.data and fig.layout.title.text == reason
    with pytest.warns(UserWarning, match=reason):
        ax = mvis.plot_param_importances(small, evaluator=evaluator)
    assert ax.get_title() == reason
    plt.close("all")


def test_an_unknown_parameter_is_still_an_error(small):
    with pytest.raises(ValueError, match=r"params: \['y'\] are not parameters"):
        vis.plot_param_importances(small, evaluator=FanovaImportanceEvaluator(), params=["y"])
