"""``Study.add_trial(s)`` keeps a parameter of one kind across the study, as Optuna's
storages do: a trial that gives it another kind (a choice where earlier trials drew a
number) is refused, and nothing of its batch is stored."""

from __future__ import annotations

from datetime import datetime

import pytest

import nntune
from nntune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from nntune.trial import FrozenTrial, TrialState, create_trial


def _float_study(tmp_path):
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    study.add_trial(create_trial(params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}, value=1.0))
    return study


@pytest.mark.parametrize("dist, value", [(CategoricalDistribution(["a", "b"]), "a"), (IntDistribution(0, 5), 2),
                                         (FloatDistribution(0.1, 1, log=True), 0.5)])
def test_a_parameter_of_another_kind_is_refused(tmp_path, dist, value):
    study = _float_study(tmp_path)
    # A new range is Optuna's rule too; another kind, log scale or set of choices is not.
    fine = create_trial(params={"x": 0.7}, distributions={"x": FloatDistribution(0, 2)}, value=2.0)
    other = create_trial(params={"x": value}, distributions={"x": dist}, value=0.1)
    refused = r"^x: cannot (ask one parameter as .* the kinds differ|change a parameter.s log scale)"
    with pytest.raises(ValueError, match=refused):
        study.add_trials([fine, other])
    assert len(study.trials) == 1
    study.add_trial(fine)
    assert [t.params["x"] for t in study.trials] == [0.5, 0.7]


def test_two_added_trials_that_disagree_with_each_other_are_refused():
    study = nntune.create_study()
    with pytest.raises(ValueError, match="kinds differ"):
        study.add_trials([
            create_trial(params={"x": 1}, distributions={"x": IntDistribution(0, 5)}, value=1.0),
            create_trial(params={"x": "a"}, distributions={"x": CategoricalDistribution(["a"])}, value=1.0)])
    assert study.trials == []


def _made_by_hand(state, values):
    """A trial built as Optuna's FrozenTrial(...) is, with no create_trial to check it."""
    return FrozenTrial(number=0, state=state, value=None, values=values, datetime_start=datetime(2024, 1, 1),
                       datetime_complete=datetime(2024, 1, 1, 0, 1), params={}, distributions={}, user_attrs={},
                       system_attrs={}, intermediate_values={}, trial_id=0)


@pytest.mark.parametrize("state, values, refused", [
    (TrialState.FAIL, [1.0], r"^a failed trial has no value, got \[1.0\]$"),
    (TrialState.PRUNED, [1.0, 2.0], r"^a pruned trial added to this study needs 1 value, got 2$")])
def test_values_a_finished_trial_cannot_have_are_refused_as_optuna_refuses_them(tmp_path, state, values, refused):
    # Stored, the failed trial kept a value and the pruned one read as a trial of two objectives.
    study = _float_study(tmp_path)
    fine = create_trial(state=TrialState.PRUNED, value=0.3)
    with pytest.raises(ValueError, match=refused):
        study.add_trials([fine, _made_by_hand(state, values)])
    assert [t.value for t in study.trials] == [1.0]
    study.add_trials([fine, _made_by_hand(TrialState.FAIL, None), _made_by_hand(TrialState.PRUNED, [0.2])])
    assert [(t.state, t.values) for t in study.trials][1:] == [
        (TrialState.PRUNED, [0.3]), (TrialState.FAIL, None), (TrialState.PRUNED, [0.2])]
