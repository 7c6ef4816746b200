"""Arguments of ``optimize`` and its callbacks that cannot work are refused before any
trial, with one line naming the argument, rather than after the first trial (or as a
failed trial per call, left in the study)."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.study import MaxTrialsCallback
from nntune.trial import TrialState


@pytest.mark.parametrize("objective", [None, "objective"])
def test_an_objective_that_is_not_callable_is_refused_and_leaves_no_failed_trial(tmp_path, objective):
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(ConfigError, match="^func: must be a callable objective f"):
        study.optimize(objective, n_trials=3)
    assert study.trials == []


@pytest.mark.parametrize("n_trials, states, message", [
    ("5", (TrialState.COMPLETE,), "^n_trials: must be an integer >= 0, got '5'$"),
    (-1, (TrialState.COMPLETE,), "^n_trials: must be an integer >= 0, got -1$"),
    (5, "COMPLETE", "^states: must be a tuple of TrialState .* got 'COMPLETE'$"),
    (5, TrialState.COMPLETE, "^states: must be a tuple of TrialState"),
    (5, ["finished"], "^states: 'finished' is not a trial state; expected one of WAITING, RUNNING, COMPLETE"),
])
def test_max_trials_callback_refuses_a_bad_count_or_state_when_made(n_trials, states, message):
    with pytest.raises(ConfigError, match=message):
        MaxTrialsCallback(n_trials, states=states)


def test_max_trials_callback_takes_states_by_name_and_optunas_spelling():
    callback = MaxTrialsCallback(2.0, states=["complete", "PRUNED", TrialState.FAIL])
    assert callback.n_trials == 2
    assert callback.states == (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)
    study = nntune.create_study()
    study.optimize(lambda t: 1.0, n_trials=10, callbacks=[callback])
    assert len(study.trials) == 2


def test_delete_and_copy_refuse_a_study_name_that_is_no_name(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(study_name="kept", storage=storage)
    with pytest.raises(ConfigError, match=r"^study_name: must name a study \(a non-empty string\), got None$"):
        nntune.delete_study(study_name=None, storage=storage)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^from_study_name: must name a study"):
        nntune.copy_study(from_study_name=None, from_storage=storage, to_storage=None)  # type: ignore[arg-type]
    assert nntune.get_all_study_names(storage) == ["kept"]
