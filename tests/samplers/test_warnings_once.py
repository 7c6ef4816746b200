"""A warning an objective gives is shown as Python's filters say (once per place by
default) however many trials a sampler asks for: a sampler that entered
``warnings.catch_warnings`` each trial made Python forget what it had shown, so a
library's warning (Lightning's, torch's) came back with every trial."""

from __future__ import annotations

import warnings

import pytest

import nntune


@pytest.mark.parametrize("make", [lambda: None, lambda: nntune.samplers.QMCSampler(seed=0),
                                  lambda: nntune.samplers.GridSampler({"x": [0.0, 0.5, 1.0], "y": [0, 2]}),
                                  lambda: nntune.samplers.TPESampler(seed=0, n_startup_trials=3),
                                  lambda: nntune.samplers.GPSampler(seed=0, n_startup_trials=3)],
                         ids=["default", "qmc", "grid", "tpe", "gp"])
def test_a_warning_given_in_every_trial_is_shown_once(make) -> None:
    def objective(trial: nntune.Trial) -> float:
        x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_int("y", 0, 4)
        warnings.warn("a library's warning, shown once", UserWarning)
        return x + y

    study = nntune.create_study(sampler=make())
    study.optimize(lambda t: 0.0 * t.suggest_float("x", 0.0, 1.0) + t.suggest_int("y", 0, 4), n_trials=1)
    with warnings.catch_warnings(record=True) as seen:  # (the test's own: entered once, before the study)
        warnings.simplefilter("default")
        study.optimize(objective, n_trials=6)
    assert sum("shown once" in str(w.message) for w in seen) == 1
