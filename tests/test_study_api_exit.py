"""An objective that exits (``sys.exit``, a training script's ``argparse`` error) ends its
trial failed, with the reason, before the exit goes on: a stored study never keeps a
trial running that nothing runs."""

from __future__ import annotations

import sys

import pytest

import nntune
from nntune.trial import TrialState


def test_an_objective_that_exits_leaves_its_trial_failed_not_running(tmp_path):
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(SystemExit):
        study.optimize(lambda trial: sys.exit(2), n_trials=3, catch=(Exception,))
    [trial] = nntune.load_study(study.study_name, study.storage).trials
    assert trial.state == TrialState.FAILED and trial.error == "SystemExit: 2"
