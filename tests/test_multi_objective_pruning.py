"""A study of several objectives has no pruning: asking says so; reporting keeps the curve."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import PruningUndefined
from nntune.trial import TrialState


def test_should_prune_says_pruning_is_undefined_and_report_still_records_the_curve():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 1)
        trial.should_prune()
        return x, 1 - x

    study = nntune.create_study(directions=["minimize", "maximize"])
    with pytest.raises(PruningUndefined, match="undefined for 2 objectives") as raised:
        study.optimize(objective, n_trials=1)
    assert isinstance(raised.value, NotImplementedError)  # what Optuna raises, for scripts that catch it
    (trial,) = study.get_trials()
    assert trial.state == TrialState.FAILED and trial.intermediate_values and "undefined" in trial.error


def test_one_objective_still_asks_its_pruner():
    def objective(trial):
        trial.report(0.5, 1)
        assert trial.should_prune() is False  # no pruner given: never stop
        return 0.5

    single = nntune.create_study(direction="minimize")
    single.optimize(objective, n_trials=1)
    assert single.get_trials()[0].state == TrialState.COMPLETE
