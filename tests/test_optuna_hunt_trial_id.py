"""``trial._trial_id`` on the live trial, as scripts written for Optuna read it (to log a
trial, or to pass it back to the storage): the same id its finished record has."""

import nntune


def test_the_live_trial_has_optunas_trial_id():
    study = nntune.create_study()
    ids = []
    study.optimize(lambda trial: ids.append(trial._trial_id) or trial.number, n_trials=2)
    assert ids == [t.number for t in study.trials] == [t._trial_id for t in study.trials] == [0, 1]
    asked = study.ask()
    assert asked._trial_id == asked.number == 2
