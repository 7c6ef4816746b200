"""Successive halving judges each rung once, whenever the trial is next asked: a trial that
asks every few epochs is judged at every rung it passed since (as in Optuna), a late
report of an earlier step passes no rung, and under a patient pruner a curve reported out
of order is replayed in report order."""

from __future__ import annotations

from typing import Any

import pytest

import nntune

pytestmark = pytest.mark.filterwarnings("ignore::Warning")  # Optuna calls PatientPruner experimental


def _quiet(lib: Any) -> Any:
    lib.logging.set_verbosity(lib.logging.WARNING)
    return lib


def _sparse_asks(lib: Any) -> list[tuple[str, int]]:
    # Each trial worse than the one before at every epoch; should_prune every 10 epochs.
    study = _quiet(lib).create_study(pruner=lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4))

    def objective(trial: Any) -> float:
        x = trial.number / 10
        for epoch in range(30):
            trial.report(x + 1.0 / (epoch + 1), epoch)
            if epoch % 10 == 9 and trial.should_prune():
                raise lib.TrialPruned()
        return x

    study.optimize(objective, n_trials=4)
    return [(t.state.name, t.last_step) for t in study.trials]


def test_a_trial_asked_every_ten_epochs_is_judged_at_the_rungs_it_passed_in_between() -> None:
    # Rungs at epochs 1 and 4: no ask falls on them, yet each later trial is worse there.
    assert _sparse_asks(nntune) == [("COMPLETE", 29), ("PRUNED", 9), ("PRUNED", 9), ("PRUNED", 9)]


def test_sparse_asks_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    assert _sparse_asks(nntune) == _sparse_asks(optuna)


def _late_report(lib: Any) -> list[bool]:
    """Trial 0 reaches step 5 (rungs 1, 2 and 4) alone; two better trials reach rung 4;
    then trial 0 reports step 3 late and is asked again."""
    study = _quiet(lib).create_study(pruner=lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    first = study.ask()
    asked = []
    for step, value in ((0, 1.0), (5, 1.0)):
        first.report(value, step)
        asked.append(first.should_prune())
    for value in (0.1, 0.2):
        other = study.ask()
        for step in range(6):
            other.report(value, step)
            if other.should_prune():
                break
        study.tell(other, value)
    first.report(0.9, 3)
    asked.append(first.should_prune())
    return [bool(a) for a in asked]


def test_a_late_report_of_an_earlier_step_judges_no_rung_again() -> None:
    # At step 5 trial 0 was alone at rung 4 and went on; the report of step 3 moves it no
    # further, so rung 4, where it is now the worst, is not judged again.
    assert _late_report(nntune) == [False, False, False]


def test_late_report_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    assert _late_report(nntune) == _late_report(optuna)


def _patient_out_of_order(lib: Any) -> list[tuple[int, int, bool]]:
    pruner = lib.pruners.PatientPruner(
        lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), patience=0)
    study = _quiet(lib).create_study(pruner=pruner)
    # Trial 0 stalls at step 3 and is judged there; trial 1 improves on steps 4 and 6, then
    # reports step 2 late, which makes its curve stall: it is first consulted there, at
    # step 6, and is worse than trial 0 at rung 1.
    curves = [[(0, 0.0), (3, 0.1), (4, 1.0), (6, 0.2)], [(4, 0.8), (6, 0.6), (2, 0.1)]]
    out = []
    for number, curve in enumerate(curves):
        trial = study.ask()
        for step, value in curve:
            trial.report(value, step)
            pruned = bool(trial.should_prune())
            out.append((number, step, pruned))
            if pruned:
                study.tell(trial, state=lib.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, curve[-1][1])
    return out


def test_patient_halving_judges_every_rung_at_the_first_consult_of_a_curve_reported_out_of_order() -> None:
    assert _patient_out_of_order(nntune)[-1] == (1, 2, True)


def test_patient_out_of_order_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    assert _patient_out_of_order(nntune) == _patient_out_of_order(optuna)


def test_the_rungs_passed_since_the_trial_was_last_asked() -> None:
    from nntune.schedulers._asha import crossed_rungs

    rungs = [1, 2, 4, 8]
    assert crossed_rungs({0: 1.0, 3: 1.0, 5: 1.0}, 5, rungs, since=0) == [1, 2, 4]
    assert crossed_rungs({0: 1.0, 5: 1.0, 3: 1.0}, 5, rungs, since=5) == []  # asked again at step 5
    # Not known when it was asked: the previous report stands for it, and a late report of
    # an earlier step (the curve's last entry) passes no rung.
    assert crossed_rungs({0: 1.0, 3: 1.0, 5: 1.0}, 5, rungs) == [4]
    assert crossed_rungs({0: 1.0, 5: 1.0, 3: 1.0}, 5, rungs) == []
