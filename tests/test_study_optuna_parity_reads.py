"""What a study reads back and takes as an attribute, as an Optuna script asks for it:
trials by one state, and a study attribute JSON cannot hold."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.trial import TrialState


def _study(storage: str | None) -> nntune.Study:
    study = nntune.create_study(storage=storage)
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state=TrialState.PRUNED)
    study.ask()
    return study


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_get_trials_takes_one_state_alone(tmp_path: Path, kind: str) -> None:
    study = _study(None if kind == "memory" else f"sqlite:///{tmp_path}/s.db")
    assert [t.number for t in study.get_trials(states=TrialState.COMPLETE)] == [0]
    assert [t.number for t in study.get_trials(deepcopy=False, states=TrialState.RUNNING)] == [2]
    assert [t.number for t in study.get_trials(states="pruned")] == [1]
    assert [t.number for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))] == [0, 1]
    with pytest.raises(ConfigError, match=r"^states: 'done' is not a trial state; expected one of WAITING, "):
        study.get_trials(states=["done"])


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_study_attribute_json_cannot_hold_is_named(tmp_path: Path, kind: str) -> None:
    study = nntune.create_study(storage=None if kind == "memory" else f"sqlite:///{tmp_path}/s.db")
    study.set_user_attr("kept", 1)
    with pytest.raises(TypeError, match=r"^user attribute 'started': datetime is not JSON serializable"):
        study.set_user_attr("started", datetime.datetime(2024, 1, 1))
    with pytest.raises(TypeError, match=r"^user attribute 'pair': keys must be str, .* not tuple"):
        study.set_user_attr("pair", {(1, 2): 3})
    assert study.user_attrs == {"kept": 1}
