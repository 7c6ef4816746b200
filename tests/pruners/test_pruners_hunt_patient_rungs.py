"""PatientPruner over successive halving: a rung holds only the trials the patient pruner
consulted past it, with their values where it consulted them, as in Optuna. A trial that
never stalled was never judged, so it is no member of any rung."""

from __future__ import annotations

from typing import Any

import pytest

import nntune

# Trial 0 improves at every step, so it is never consulted; trial 1 is worse than it at
# every step and stalls at step 3 (best before: 0.9, best of the last two: 0.95).
CURVES = [[0.5 - 0.05 * s for s in range(6)], [1.0, 0.9, 0.95, 0.97, 0.99, 1.0]]


def _run(lib: Any) -> list[tuple[str, int]]:
    halving = lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    study = lib.create_study(pruner=lib.pruners.PatientPruner(halving, patience=1))

    def objective(trial: Any) -> float:
        curve = CURVES[trial.number]
        for step, value in enumerate(curve):
            trial.report(value, step)
            if trial.should_prune():
                raise lib.TrialPruned()
        return curve[-1]

    study.optimize(objective, n_trials=len(CURVES))
    return [(t.state.name, max(t.intermediate_values)) for t in study.trials]


def test_a_trial_never_consulted_is_no_member_of_the_rungs() -> None:
    nntune.logging.set_verbosity(nntune.logging.WARNING)
    # Trial 1, consulted first at step 3, is alone at rungs 1 and 2: it goes on.
    assert _run(nntune) == [("COMPLETE", 5), ("COMPLETE", 5)]


@pytest.mark.filterwarnings("ignore::Warning")  # Optuna calls PatientPruner experimental
def test_the_same_as_optuna() -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert _run(nntune) == _run(optuna)


def test_consulted_steps_are_the_steps_where_each_prefix_had_stalled() -> None:
    import math
    import random

    from nntune.pruners._rules import consulted_steps
    from nntune.pruners._rules import stalled

    rng = random.Random(1)
    odd = [None, math.nan, math.inf, -math.inf, 0.5]
    for _ in range(2000):
        steps = sorted(rng.sample(range(30), rng.randrange(12)))
        curve = {s: rng.choice(odd) if rng.random() < 0.2 else rng.random() for s in steps}
        patience, delta = rng.randrange(4), rng.choice([0.0, 0.05])
        direction = rng.choice(["minimize", "maximize"])
        expected = [s for i, s in enumerate(steps)
                    if stalled({k: curve[k] for k in steps[:i + 1]}, patience, delta, direction)]
        assert consulted_steps(curve, patience, delta, direction) == expected
