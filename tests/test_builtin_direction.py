"""The built-in objective in a study of the other direction says so (Optuna's default minimizes)."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune.builtin import load_task_splits, make_objective
from nntune.config import parse_config


@pytest.fixture(scope="module")
def built():
    cfg = parse_config({"study": "dir", "task": {"data": "iris"}, "fixed": {"epochs": 1}}, "dict")
    return make_objective(cfg, cfg.build_space(), load_task_splits(cfg))


def test_a_study_minimizing_accuracy_is_warned_about(built):
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    with pytest.warns(UserWarning, match="^the study is to minimize but the task's accuracy is to maximize: "
                                         "create the study with direction='maximize'$"):
        study.optimize(built, n_trials=1)


def test_a_study_of_the_tasks_direction_is_not(built):
    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="the study is to")
        study.optimize(built, n_trials=1)
    assert study.best_trial.state.name == "COMPLETE"
