"""PatientPruner over successive halving judges, when it first consults it, every rung the
trial passed since, as Optuna's does: the rungs are not only those its latest report crossed."""

from __future__ import annotations

import pytest

import nntune


def _curve(base: float) -> dict[int, float]:
    # Better until step 5, then worse: with patience 1 the curve has stalled from step 7 on.
    return {s: base - 0.1 * s if s <= 5 else base - 0.5 + 0.1 * (s - 5) for s in range(12)}


def _run(lib: object) -> list[tuple[str, int | None]]:
    pruner = lib.pruners.PatientPruner(  # type: ignore[attr-defined]
        lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), patience=1)  # type: ignore[attr-defined]
    study = lib.create_study(pruner=pruner)  # type: ignore[attr-defined]

    def objective(trial: object) -> float:
        curve = _curve(1.0 * trial.number)  # type: ignore[attr-defined]
        for step, value in curve.items():
            trial.report(value, step)  # type: ignore[attr-defined]
            if trial.should_prune():  # type: ignore[attr-defined]
                raise lib.TrialPruned()  # type: ignore[attr-defined]
        return curve[11]

    study.optimize(objective, n_trials=3)
    return [(t.state.name, max(t.intermediate_values)) for t in study.trials]


def test_a_trial_worse_at_the_rungs_it_passed_stops_where_the_curve_stalls() -> None:
    nntune.logging.set_verbosity(nntune.logging.WARNING)
    # Steps 1, 2 and 4 are rungs; step 7 crosses none, and there trial 1 is first consulted.
    assert _run(nntune) == [("COMPLETE", 11), ("PRUNED", 7), ("PRUNED", 7)]


@pytest.mark.filterwarnings("ignore::Warning")  # Optuna calls PatientPruner experimental
def test_the_same_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert _run(nntune) == _run(optuna)
