"""``create_trial`` and ``add_trials`` with what a script may pass by mistake: each refused
in one line naming the field, and nothing of a refused batch stored."""

from __future__ import annotations

from pathlib import Path

import pytest

import nntune
from nntune.trial import TrialState, create_trial


@pytest.mark.parametrize("kwargs, error, message", [
    ({"values": []}, ValueError, "values: needs one number per objective, got none"),
    ({"values": "12"}, TypeError, "values: must be a list of numbers, one per objective, got '12'"),
    ({"values": 1.5}, TypeError, "values: must be a list of numbers, one per objective, got 1.5"),
    ({"value": "abc"}, ValueError, "value: must be a number, got 'abc'"),
    ({"value": [1.0]}, ValueError, r"value: must be a number, got \[1.0\]"),
    ({"values": [1.0, "x"]}, ValueError, "values\\[1\\]: must be a number, got 'x'"),
    ({"value": 1.0, "intermediate_values": {1: "x"}}, ValueError,
     r"intermediate_values\[1\]: must be a number, got 'x'"),
    ({"value": 1.0, "intermediate_values": {-1: 1.0}}, ValueError,
     "intermediate_values: each step must be an integer >= 0, got -1"),
    ({"value": 1.0, "intermediate_values": {1.5: 1.0}}, ValueError,
     "intermediate_values: each step must be an integer >= 0, got 1.5"),
    # dict() took a list of pairs and said nothing of the field for anything else
    ({"value": 1.0, "user_attrs": [("k", "v")]}, TypeError, r"user_attrs: must be a dict, got list \[\('k', 'v'\)\]"),
    ({"value": 1.0, "system_attrs": "x"}, TypeError, "system_attrs: must be a dict, got str 'x'"),
    ({"value": 1.0, "intermediate_values": [(0, 0.5)]}, TypeError,
     r"intermediate_values: must be a dict, got list \[\(0, 0.5\)\]"),
    ({"value": 1.0, "params": [("x", 0.5)]}, TypeError, r"params: must be a dict, got list \[\('x', 0.5\)\]"),
])
def test_bad_values_are_refused_naming_the_field(kwargs, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        create_trial(**kwargs)


def test_numbers_as_text_and_states_by_name_are_read_as_optuna_casts_them():
    trial = create_trial(state="COMPLETE", value="1.5", intermediate_values={"2": "0.5"})
    assert (trial.state, trial.value, trial.intermediate_values) == (TrialState.COMPLETE, 1.5, {2: 0.5})
    assert create_trial(state="Fail").state == TrialState.FAIL
    with pytest.raises(ValueError, match="'done' is not a valid TrialState"):
        create_trial(state="done", value=1.0)


def test_a_user_attribute_json_cannot_keep_refuses_the_whole_batch(tmp_path: Path):
    for storage in (None, f"sqlite:///{tmp_path}/s.db"):
        study = nntune.create_study(storage=storage)
        batch = [create_trial(value=1.0), create_trial(value=2.0, user_attrs={"when": object()}),
                 create_trial(value=3.0)]
        with pytest.raises(ValueError, match="^user_attrs: object is not JSON serializable; store numbers"):
            study.add_trials(batch)
        assert study.trials == []  # neither the first trial nor a running half of the second
        with pytest.raises(ValueError, match="^system_attrs: function is not JSON serializable; store numbers"):
            study.add_trial(create_trial(value=1.0, system_attrs={"f": lambda: 0}))
        assert study.trials == []


def test_get_trials_reads_states_by_name():
    study = nntune.create_study()
    study.optimize(lambda t: 1.0, n_trials=2)
    assert len(study.get_trials(states=["COMPLETE"])) == 2 and study.get_trials(states=["PRUNED"]) == []
