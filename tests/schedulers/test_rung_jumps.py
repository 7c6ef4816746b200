"""A report that passes several rungs at once (reports every few epochs, steps that do not
start at 0): a trial stopped at the lower rung is no member of the higher ones, as in
Optuna's successive halving, so it does not make them keep more trials."""

from __future__ import annotations

from pathlib import Path

import pytest

import nntune
from nntune.pruners import SuccessiveHalvingPruner
from nntune.schedulers import ASHA
from nntune.schedulers._asha import STOPPED_AT

# Minimizing, rungs at steps 1, 2, 4 (reduction factor 2). Trials 1 and 2 report step 2
# first: they pass rungs 1 and 2 at once and stop at rung 1 (worse than trial 0 there).
# Trial 3 passes rung 1 and is worse than trial 0 at rung 2, whose only members are trial
# 0 and itself: it stops there. Optuna 5.1 prunes trials 1, 2 and 3, each at step 2.
CURVES = [[(1, 0.5), (2, 0.5), (3, 0.5)], [(2, 0.9)], [(2, 0.95)], [(1, 0.4), (2, 0.7), (3, 0.7)]]


def _replay(trial: nntune.Trial) -> float:
    for step, value in CURVES[trial.number]:
        trial.report(value, step)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return CURVES[trial.number][-1][1]


@pytest.mark.parametrize("sqlite", [False, True])
def test_a_trial_stopped_at_a_lower_rung_does_not_fill_the_higher_one(sqlite: bool, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path}/s.db" if sqlite else None
    study = nntune.create_study(storage=storage, study_name="jumps" if sqlite else None,
                                pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    study.optimize(_replay, n_trials=len(CURVES))
    assert [(t.state, t.last_step) for t in study.trials] == [
        ("complete", 3), ("pruned", 2), ("pruned", 2), ("pruned", 2)]
    assert [t.system_attrs.get(STOPPED_AT) for t in study.trials] == [None, 1, 1, 2]


def test_the_rung_of_a_trial_is_where_it_stopped() -> None:
    asha = ASHA(min_resource=1, max_resource=8, reduction_factor=2)
    study = nntune.create_study(pruner=asha)
    study.optimize(_replay, n_trials=len(CURVES))
    assert [asha.describe(t) for t in study.trials] == [
        {"rung": 1, "rung_step": 2}, {"rung": 0, "rung_step": 1}, {"rung": 0, "rung_step": 1},
        {"rung": 1, "rung_step": 2}]


def test_a_trial_that_trained_on_when_told_to_stop_counts_at_the_rungs_it_reached() -> None:
    # Trials 1 and 2 are told to stop at rung 1 but complete: as in Optuna they are members
    # of rung 2, where trial 3 is then in the better half and goes on.
    curves = [[(1, 0.5), (2, 0.5), (3, 0.5)], [(2, 0.9), (3, 0.9)], [(2, 0.95), (3, 0.95)],
              [(1, 0.4), (2, 0.7), (3, 0.7)]]
    told: list[tuple[int, int]] = []

    def objective(trial: nntune.Trial) -> float:
        for step, value in curves[trial.number]:
            trial.report(value, step)
            if trial.should_prune():
                told.append((trial.number, step))
        return curves[trial.number][-1][1]

    study = nntune.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    study.optimize(objective, n_trials=len(curves))
    assert told == [(1, 2), (2, 2)]
    assert [t.state for t in study.trials] == ["complete"] * 4
