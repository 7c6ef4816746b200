"""A known value kept in its distribution's stored form, as Optuna keeps it: an enqueued
choice is stored as the choice it equals (Optuna stores the choice's index)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import optuna
import pytest

import nntune
from nntune._stored_value import as_stored
from nntune.space import Choice

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _stored(lib: ModuleType, storage: str | None, given: Any, choices: list[Any]) -> tuple[Any, Any, Any]:
    study = lib.create_study(storage=storage)
    study.enqueue_trial({"c": given})
    study.optimize(lambda t: float(choices.index(t.suggest_categorical("c", choices))), n_trials=1)
    kept = study.trials[0].params["c"]
    return kept, type(kept), study.best_params["c"]


@pytest.mark.parametrize("given, choices", [(1, [1.0, 2.0]), (2.0, [1, 2]), (1, [True, False]), ("a", ["a", "b"])])
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_enqueued_choice_is_stored_as_the_choice_it_equals_as_optuna(tmp_path, kind, given, choices):
    url = None if kind == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    assert _stored(nntune, url, given, choices) == _stored(optuna, None, given, choices)


def test_a_value_off_the_choices_is_left_for_its_check():
    assert as_stored(Choice(("a", "b")), "z") == "z"
    assert as_stored(Choice((None, 1.0)), None) is None
