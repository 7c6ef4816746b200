"""The value a pruned trial keeps, as Optuna's tell gives it."""

from __future__ import annotations

import nntune
from nntune.trial import TrialState


def test_a_pruned_trial_of_several_objectives_keeps_no_value_as_in_optuna() -> None:
    # It kept its last reported value as a one-number vector in a study of two objectives:
    # values == [0.3], read as the first objective's value, and values[1] an IndexError.
    # Optuna's pruned trial of several objectives has values None.
    study = nntune.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    trial.report(0.3, 0)
    told = study.tell(trial, state=TrialState.PRUNED)
    assert (told.state, told.value, told.values) == (TrialState.PRUNED, None, None)

    def objective(t: nntune.Trial) -> tuple[float, float]:
        t.report(0.7, 0)
        raise nntune.TrialPruned()

    study.optimize(objective, n_trials=1)
    assert [(t.state, t.values, t.intermediate_values) for t in study.trials] == [
        (TrialState.PRUNED, None, {0: 0.3}), (TrialState.PRUNED, None, {0: 0.7})]


def test_a_pruned_trial_of_one_objective_still_keeps_its_last_reported_value() -> None:
    study = nntune.create_study()
    trial = study.ask()
    trial.report(0.5, 0)
    trial.report(0.3, 1)
    assert study.tell(trial, state=TrialState.PRUNED).values == [0.3]
