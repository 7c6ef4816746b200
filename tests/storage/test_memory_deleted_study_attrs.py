"""A study attribute set through a handle on a study deleted meanwhile: one line saying so,
from the in-memory storage as from SQLite (a bare ``KeyError: 1`` before)."""

from __future__ import annotations

from pathlib import Path

import pytest

import nntune
from nntune.storage import StudyNotFoundError
from nntune.storages import InMemoryStorage


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_attribute_of_a_deleted_study_says_it_was_deleted(tmp_path: Path, kind: str) -> None:
    storage = InMemoryStorage() if kind == "memory" else f"sqlite:///{tmp_path}/s.db"
    study = nntune.create_study(study_name="gone", storage=storage)
    nntune.delete_study(study_name="gone", storage=storage)
    for write in (lambda: study.set_user_attr("a", 1), lambda: study.set_metric_names(["loss"])):
        with pytest.raises(StudyNotFoundError, match="the study was deleted while it was in use"):
            write()
