"""``create_study(directions=...)`` given one string instead of a list, and Optuna's
``StudyDirection.NOT_SET``."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.study import StudyDirection


def test_directions_as_one_string_is_refused_naming_the_list_it_needs():
    with pytest.raises(ConfigError, match=r"^directions: must be a list, one direction per objective, "
                                          r"such as \['maximize'\], got 'maximize'$"):
        nntune.create_study(directions="maximize")


def test_study_direction_has_optunas_not_set_which_no_study_is_made_with():
    # Scripts written for Optuna compare against StudyDirection.NOT_SET; it was missing.
    assert [d.name for d in StudyDirection] == ["NOT_SET", "MINIMIZE", "MAXIMIZE"]
    assert nntune.create_study().direction != StudyDirection.NOT_SET
    with pytest.raises(ConfigError, match=r"^direction: must be minimize or maximize, got <StudyDirection.NOT_SET"):
        nntune.create_study(direction=StudyDirection.NOT_SET)
    with pytest.raises(ConfigError, match=r"^direction: must be minimize or maximize, got 'not_set'$"):
        nntune.create_study(directions=["minimize", "not_set"])


@pytest.mark.parametrize("direction", ["", 0, False])
def test_a_direction_given_as_nothing_is_refused_not_read_as_minimize(direction: object) -> None:
    # Any falsy direction made a minimizing study, where Optuna refuses it.
    with pytest.raises(ConfigError, match=rf"^direction: must be minimize or maximize, got {direction!r}$"):
        nntune.create_study(direction=direction)  # type: ignore[arg-type]
