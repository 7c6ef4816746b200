"""A study's pruner changed between optimize calls: where successive halving stopped a trial
on the old pruner's rungs says nothing of the new pruner's, which reads the trial by its
curve (a member of every rung the curve reached)."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.schedulers._asha import STOPPED_AT, STOPPED_LADDER


def _curve(base: float) -> dict[int, float]:
    # Better until step 5, then worse: with patience 1 the curve has stalled from step 7 on.
    return {s: base - 0.1 * s if s <= 5 else base - 0.5 + 0.1 * (s - 5) for s in range(12)}


CURVES = [_curve(0.0), _curve(1.0), _curve(2.0), {s: 0.4 - 0.1 * s for s in range(12)}]


def _objective(lib: Any) -> Any:
    def objective(trial: Any) -> float:
        curve = CURVES[trial.number]
        for step, value in curve.items():
            trial.report(value, step)
            if trial.should_prune():
                raise lib.TrialPruned()
        return curve[11]
    return objective


def _run(lib: Any, storage: str | None = None) -> Any:
    lib.logging.set_verbosity(lib.logging.WARNING)
    # Trials 1 and 2 stop at step 7, at the old pruner's rung 1.
    old = lib.pruners.PatientPruner(lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
                                    patience=1)
    study = lib.create_study(pruner=old, storage=storage)
    study.optimize(_objective(lib), n_trials=3)
    # The new pruner's first rung is at step 6, where trials 1 and 2 had 0.6 and 1.6; trial
    # 3 has -0.2 there, second of four (trial 0: -0.4), so it goes on.
    study.pruner = lib.pruners.SuccessiveHalvingPruner(min_resource=6, reduction_factor=2)
    study.optimize(_objective(lib), n_trials=1)
    return study


@pytest.mark.parametrize("sqlite", [False, True])
@pytest.mark.filterwarnings("ignore::Warning")
def test_the_old_pruners_stops_do_not_shrink_the_new_pruners_rungs(sqlite: bool, tmp_path: Any) -> None:
    study = _run(nntune, f"sqlite:///{tmp_path}/s.db" if sqlite else None)
    assert [(t.state.name, t.last_step) for t in study.trials] == [
        ("COMPLETE", 11), ("PRUNED", 7), ("PRUNED", 7), ("COMPLETE", 11)]
    assert [(t.system_attrs.get(STOPPED_AT), t.system_attrs.get(STOPPED_LADDER)) for t in study.trials[1:3]] == [
        (1, [1, 2]), (1, [1, 2])]


@pytest.mark.filterwarnings("ignore::Warning")
def test_the_same_ends_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    ends = [[(t.state.name, t.last_step) for t in _run(lib).trials] for lib in (nntune, optuna)]
    assert ends[0] == ends[1]


@pytest.mark.filterwarnings("ignore::Warning")
def test_a_pruner_on_the_same_rungs_keeps_the_stops_and_one_on_others_reads_the_curve() -> None:
    study = _run(nntune)
    stopped = study.trials[1]  # stopped at rung 1, its curve at step 7
    # The same ladder (a study loaded again with a new pruner object, say): rung 0, at step 1.
    assert nntune.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2).rung_of(stopped) == 0
    # Rungs at steps 2 and 4: its curve reached both.
    assert nntune.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2).rung_of(stopped) == 1
