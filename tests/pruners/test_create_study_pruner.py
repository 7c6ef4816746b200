"""``create_study(pruner=...)`` refuses what cannot judge a trial, in one line naming it,
before any trial runs (it failed mid-trial, at the first ``should_prune``)."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.pruners import MedianPruner


@pytest.mark.parametrize(("options", "field", "words"), [
    ({"pruner": MedianPruner}, "pruner", "call it, pruner=MedianPruner()"),
    ({"pruner": "median"}, "pruner", "must be a pruner"),
    ({"scheduler": 5}, "scheduler", "must be a pruner"),
])
def test_create_study_refuses_what_is_no_pruner(options: dict, field: str, words: str, tmp_path) -> None:
    with pytest.raises(ConfigError, match=f"^{field}: .*{words}"):
        nntune.create_study(**options)
    url = f"sqlite:///{tmp_path}/s.db"
    nntune.create_study(study_name="s", storage=url)
    with pytest.raises(ConfigError, match=f"^{field}: "):
        nntune.load_study(study_name="s", storage=url, **options)


def test_create_study_takes_nntunes_pruners_and_optunas_own() -> None:
    class StopNever(nntune.pruners.BasePruner):
        def prune(self, study: object, trial: object) -> bool:
            return False

    for pruner in (MedianPruner(), StopNever(), None):
        nntune.create_study(pruner=pruner)
