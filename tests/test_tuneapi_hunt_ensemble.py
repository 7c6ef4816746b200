"""``nntune ensemble --top K`` on a study with fewer complete trials than K says so."""

from __future__ import annotations

import numpy as np

import nntune
from nntune.ensemble_study import ensemble_for_study, ensemble_lines


def test_fewer_members_than_asked_are_said_and_the_look_counted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    url = f"sqlite:///{tmp_path / 's.db'}"
    summary = nntune.tune(set={"search.trials": 2, "fixed.epochs": 1, "storage": url, "study": "few"},
                          data=(x, (x[:, 0] > 0).astype(int)), report=False, model_file=False)
    assert summary.test is not None and summary.test.looks == 1
    result = ensemble_for_study(url, "few", top=5)
    assert " ".join(ensemble_lines(result)).count("(only 2 of the 5 asked: the study has no more complete trials)") == 1
    shown = result.to_json()
    assert (shown["top"], len(shown["members"]), shown["test_evaluations"]) == (5, 2, 2)
    # asked for no more than the study holds: nothing to say
    assert "asked" not in " ".join(ensemble_lines(ensemble_for_study(url, "few", top=2)))
