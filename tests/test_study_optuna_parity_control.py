"""The study's levers on a trial in training (``set_trial_params``, ``stop_trial``,
``fork_trial``, ``param_changes``) named by a number that is no integer: one line, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError

LEVERS: dict[str, Callable[[Any, Any], Any]] = {
    "set_trial_params": lambda study, n: study.set_trial_params(n, {"lr": 1e-3}),
    "stop_trial": lambda study, n: study.stop_trial(n),
    "fork_trial": lambda study, n: study.fork_trial(n, 1, {"lr": 1e-3}),
    "param_changes": lambda study, n: study.param_changes(n),
}


@pytest.mark.parametrize("lever", sorted(LEVERS))
@pytest.mark.parametrize("number", ["0", 0.0, True])
def test_a_trial_named_by_no_integer_is_refused_in_one_line(tmp_path: Path, lever: str, number: object) -> None:
    study = nntune.create_study(storage=f"sqlite:///{tmp_path}/s.db")
    study.ask().suggest_float("lr", 1e-4, 1, log=True)
    with pytest.raises(ConfigError, match=r"^trial: must be a trial number \(an integer\), got "):
        LEVERS[lever](study, number)
    assert study.param_changes() == []


def test_a_numpy_integer_names_its_trial() -> None:
    study = nntune.create_study()
    study.ask().suggest_float("lr", 1e-4, 1, log=True)
    assert [c.param for c in study.set_trial_params(np.int64(0), {"lr": 1e-3})] == ["lr"]
    assert [c.param for c in study.param_changes(np.int64(0))] == ["lr"]
