"""``nntune test`` while a search of the study still trains trials is refused: the best
trial may yet change, and the look (counted) would be spent on a trial the search passes
by. A running trial whose process is gone (kill -9) does not hold the look back."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.executors._common import worker_identity
from nntune.runner import look_again, prepare, run_tune
from nntune.study import load_study
from nntune.trial import TrialState


def tuned(tmp_path):
    cfg = parse_config({"study": "s", "storage": f"sqlite:///{tmp_path / 's.db'}",
                        "task": {"data": "iris", "model": "mlp"}, "search": {"trials": 2, "seed": 0},
                        "space": {"lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True}},
                        "fixed": {"epochs": 2, "units": 8}}, "test")
    run_tune(prepare(cfg))
    return cfg, load_study("s", cfg.storage)


def test_a_look_while_trials_of_a_search_train_is_refused_and_not_counted(tmp_path):
    cfg, study = tuned(tmp_path)
    looks = len(study.storage.get_test_evaluations(study.id))
    assert looks == 1  # the search's own look
    for _ in range(2):
        study.storage.create_trial(study.id, state=TrialState.RUNNING, system_attrs={"worker": worker_identity()})
    with pytest.raises(ConfigError, match=r"^study: 's' is still being tuned \(trials 2, 3 running\): its best "
                                          r"trial may yet change; look at the test split once the search has ended$"):
        look_again(prepare(cfg))
    assert len(study.storage.get_test_evaluations(study.id)) == looks


def test_a_running_trial_whose_process_is_gone_does_not_hold_the_look_back(tmp_path):
    cfg, study = tuned(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = worker_identity(gone.pid)
    gone.wait()
    study.storage.create_trial(study.id, state=TrialState.RUNNING, system_attrs={"worker": identity})
    assert look_again(prepare(cfg)).trial in (0, 1)
