"""``params=`` of the importance evaluators and the plots is a list of names: one name given
as a string is refused in one line naming the field, not read letter by letter."""

from __future__ import annotations

import pytest

import nntune
from nntune import visualization as vis
from nntune.importance import FanovaImportanceEvaluator, get_param_importances


@pytest.fixture(scope="module")
def study():
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("lr", 1e-3, 1, log=True), n_trials=10)
    return s


@pytest.mark.parametrize("call", [lambda s: get_param_importances(s, params="lr"),
                                  lambda s: get_param_importances(s, evaluator=FanovaImportanceEvaluator(),
                                                                  params="lr"),
                                  lambda s: vis.plot_slice(s, params="lr"),
                                  lambda s: vis.plot_contour(s, params="lr")])
def test_a_string_of_one_name_is_refused(study, call):
    with pytest.raises(ValueError, match=r"^params: give a list of parameter names such as \['lr'\], not the "
                                         r"string 'lr'$"):
        call(study)


def test_a_one_letter_name_is_refused_too_rather_than_working_by_accident(study):
    with pytest.raises(ValueError, match=r"params: give a list"):
        vis.plot_slice(study, params="x")
