"""A pruner written for Optuna that asks nntune's successive halving through
``prune(study, trial)`` gets the same rungs as the study asking it directly: the rung where
halving stopped a trial is kept with the trial, so a trial stopped at a lower rung by a
report that passed several is no member of the higher ones."""

from __future__ import annotations

from typing import Any

import pytest

import nntune

# Minimize; rungs at steps 1, 2 and 4 (reduction factor 2). Trial 2 jumps from step 0 to
# step 4 and stops at rung 1; trial 3 is second best at rung 1 of four, third of three
# at rung 2 (trials 0 and 1 are better), where it stops.
CURVES = [{s: 0.1 for s in range(5)}, {s: 0.05 for s in range(5)}, {0: 0.9, 4: 0.9}, {s: 0.08 for s in range(5)}]


def _run(lib: Any) -> list[tuple[str, int]]:
    class Delegating(lib.pruners.BasePruner):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            self.inner = lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)

        def prune(self, study: Any, trial: Any) -> bool:
            return bool(self.inner.prune(study, trial))

    study = lib.create_study(pruner=Delegating())

    def objective(trial: Any) -> float:
        curve = CURVES[trial.number]
        for step, value in curve.items():
            trial.report(value, step)
            if trial.should_prune():
                raise lib.TrialPruned()
        return curve[4]

    study.optimize(objective, n_trials=len(CURVES))
    return [(t.state.name, max(t.intermediate_values)) for t in study.trials]


def test_a_trial_stopped_at_a_lower_rung_does_not_fill_the_higher_ones() -> None:
    nntune.logging.set_verbosity(nntune.logging.WARNING)
    assert _run(nntune) == [("COMPLETE", 4), ("COMPLETE", 4), ("PRUNED", 4), ("PRUNED", 2)]


def test_the_same_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert _run(nntune) == _run(optuna)
