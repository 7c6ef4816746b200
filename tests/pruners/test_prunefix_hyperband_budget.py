"""HyperbandPruner halves trials that train past its budget at their bracket's next rungs,
as Optuna's does: with max_resource="auto" the budget comes from the first complete trial,
which may have stopped early, and the longer trials after it were left unjudged."""

from __future__ import annotations

from typing import Any

import pytest

import nntune


def _run(lib: Any) -> list[tuple[str, int]]:
    lib.logging.set_verbosity(lib.logging.WARNING)
    # min_resource 4 and a budget of 4 steps: one bracket, first rung at step 4.
    study = lib.create_study(pruner=lib.pruners.HyperbandPruner(min_resource=4, reduction_factor=2))

    def objective(trial: Any) -> float:
        epochs = 4 if trial.number == 0 else 20  # the first trial stops early: a budget of 4
        for epoch in range(epochs):
            trial.report(trial.number + 1.0 / (epoch + 1), epoch)
            if trial.should_prune():
                raise lib.TrialPruned()
        return float(trial.number)

    study.optimize(objective, n_trials=4)
    return [(t.state.name, t.last_step) for t in study.trials]


def test_trials_longer_than_an_auto_budget_are_halved_at_the_rungs_past_it() -> None:
    # Trial 1 is alone at every rung; trials 2 and 3 are worse than it at step 4.
    assert _run(nntune) == [("COMPLETE", 3), ("COMPLETE", 19), ("PRUNED", 4), ("PRUNED", 4)]


def test_the_same_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    assert _run(nntune) == _run(optuna)


def test_the_rungs_past_the_budget_are_named_where_a_trial_stopped() -> None:
    pruner = nntune.pruners.HyperbandPruner(min_resource=1, max_resource=4, reduction_factor=2)
    bracket = pruner.brackets[0]  # the most aggressive: rungs at 1 and 2 below the budget
    assert pruner.rungs(bracket) == [1, 2]
    assert pruner.rungs(bracket, 17) == [1, 2, 4, 8, 16]
    # nntune's own Hyperband keeps its rungs below the budget it trains every trial to.
    assert nntune.schedulers.Hyperband(1, 4, 2).rungs(bracket, 17) == [1, 2]
