"""``get_all_study_summaries`` as Optuna's: a summary's best trial is the one
``Study.best_trial`` names."""

from __future__ import annotations

import nntune
from nntune.study import get_all_study_summaries


def test_a_summarys_best_trial_meets_its_constraints_as_study_best_trial(tmp_path):
    sampler = nntune.samplers.TPESampler(seed=0, constraints_func=lambda t: [t.params["x"] - 0.5])
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", sampler=sampler)
    for x in (0.1, 0.9, 0.3):  # 0.9 has the lowest value and breaks its constraint
        study.enqueue_trial({"x": x})
    study.optimize(lambda t: -t.suggest_float("x", 0, 1), n_trials=3)
    [summary] = get_all_study_summaries(study.storage)
    assert summary.best_trial is not None
    assert summary.best_trial.number == study.best_trial.number == 2
