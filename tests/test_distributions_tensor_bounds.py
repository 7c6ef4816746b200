"""Bounds and choices computed with PyTorch or NumPy (a tensor or array of no dimensions)
are the numbers they hold, as Optuna takes them."""

from __future__ import annotations

import numpy as np
import torch

import nntune


def test_bounds_and_choices_of_no_dimensions_are_their_numbers() -> None:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    trial = study.ask()
    x = trial.suggest_float("x", torch.tensor(0.0), torch.tensor(1.0))
    n = trial.suggest_int("n", np.array(1), torch.tensor(4))
    c = trial.suggest_categorical("c", [torch.tensor(0.5), np.array(2)])
    assert 0.0 <= x <= 1.0 and 1 <= n <= 4 and c in (0.5, 2)
    told = study.tell(trial, 1.0)
    assert {type(v) for v in told.params.values()} <= {float, int}
    assert repr(told.distributions["x"]) == "Float(low=0.0, high=1.0, log=False, step=None)"
