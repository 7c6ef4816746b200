"""PartialFixedSampler over a GridSampler that lists the fixed parameter too: every trial
takes the fixed value, the first one included (it took the grid's value, chosen before the
study knew its space)."""

from __future__ import annotations

import pytest

import nntune as optuna


@pytest.mark.parametrize("seed", [1, 3, 6, 8])
def test_the_fixed_value_holds_from_the_first_trial(seed: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    base = optuna.samplers.GridSampler({"x": [0, 1, 2], "y": [0, 1]}, seed=seed)
    study = optuna.create_study(sampler=optuna.samplers.PartialFixedSampler({"y": 1}, base))
    study.optimize(lambda t: t.suggest_int("x", 0, 2) + t.suggest_int("y", 0, 1), n_trials=10)
    assert [t.params["y"] for t in study.trials] == [1] * len(study.trials)
    assert sorted({t.params["x"] for t in study.trials}) == [0, 1, 2]
