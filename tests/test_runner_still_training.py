"""Two ``nntune tune`` on one study: the one whose budget is used up while the other still
trains a trial ends first, and leaves the test split shut (the best trial may yet change, a
look now would be counted and spent); the one that ends last looks. A running trial whose
process is gone holds nothing back: the search runs it and looks."""

from __future__ import annotations

import subprocess
import sys

from nntune.config import parse_config
from nntune.executors._common import worker_identity
from nntune.runner import prepare, run_tune
from nntune.study import load_study
from nntune.trial import TrialState

STILL = ("s is still being tuned (trial 2 running in another search): its best trial may yet change, so the "
         "test split stays sealed here; the search that ends last looks at it")


def config(tmp_path, trials: int, metric: str | list[str] = "accuracy"):
    directions = {"direction": "maximize"} if isinstance(metric, str) else {"direction": ["maximize", "minimize"]}
    return parse_config({"study": "s", "storage": f"sqlite:///{tmp_path / 's.db'}",
                         "task": {"data": "iris", "model": "mlp", "metric": metric, **directions},
                         "search": {"trials": trials, "seed": 0},
                         "space": {"lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True}},
                         "fixed": {"epochs": 2, "units": 8}}, "test")


def with_a_trial_training(tmp_path, identity, metric: str | list[str] = "accuracy"):
    """A study of two trials, never looked at, and a third that ``identity`` trains."""
    run_tune(prepare(config(tmp_path, 2, metric)), evaluate_test=False)
    study = load_study("s", f"sqlite:///{tmp_path / 's.db'}")
    study.storage.create_trial(study.id, state=TrialState.RUNNING, system_attrs={"worker": identity})
    return study


def alive() -> dict:
    return worker_identity(1)  # init: alive for as long as the machine runs


def test_a_search_ending_while_another_trains_a_counted_trial_leaves_the_look_to_it(tmp_path):
    study = with_a_trial_training(tmp_path, alive())
    summary = run_tune(prepare(config(tmp_path, 3)))
    assert summary.stop_reason == "the study holds 3 trials"
    assert summary.test is None and STILL in summary.notes
    assert summary.best is not None and summary.counts["complete"] == 2
    assert study.storage.get_test_evaluations(study.id) == []


def test_several_objectives_leave_the_front_unlooked_while_another_search_trains(tmp_path):
    study = with_a_trial_training(tmp_path, alive(), ["accuracy", "params"])
    summary = run_tune(prepare(config(tmp_path, 3, ["accuracy", "params"])))
    assert summary.front and summary.front_tests == [] and STILL in summary.notes
    assert study.storage.get_test_evaluations(study.id) == []


def test_a_trial_whose_process_is_gone_is_run_here_and_the_search_looks(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = worker_identity(gone.pid)
    gone.wait()
    study = with_a_trial_training(tmp_path, identity)
    summary = run_tune(prepare(config(tmp_path, 3)))
    assert summary.counts["complete"] == 3 and summary.test is not None
    assert not any("still being tuned" in n for n in summary.notes)
    assert len(study.storage.get_test_evaluations(study.id)) == 1
