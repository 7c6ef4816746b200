"""``trial.report(value, step)`` takes a step held in a one-number tensor or array, as it
takes the value, and as Optuna does (its ``int(step)``): an epoch counter kept as a tensor
failed the trial with "step must be a non-negative integer, got tensor(0)"."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nntune
from nntune.trial import FixedTrial


def test_tensor_and_array_steps_are_the_whole_numbers_they_hold() -> None:
    study = nntune.create_study()

    def objective(trial: nntune.Trial) -> float:
        for epoch in torch.arange(3):  # tensor(0), tensor(1), tensor(2)
            trial.report(torch.tensor(0.5) / (epoch + 1), epoch)
        trial.report(0.1, torch.tensor(3.0))
        trial.report(0.05, np.array(4))
        return 0.05

    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state.name == "COMPLETE"
    assert list(trial.intermediate_values) == [0, 1, 2, 3, 4]
    assert all(type(step) is int for step in trial.intermediate_values)
    assert trial.intermediate_values[1] == pytest.approx(0.25)
    fixed = FixedTrial({})
    fixed.report(0.5, torch.tensor(7))
    assert fixed.intermediate_values == {7: 0.5}


@pytest.mark.parametrize("step", [torch.tensor(1.5), torch.tensor(-1), torch.tensor(True), np.array(True),
                                  torch.tensor([1, 2])])
def test_a_tensor_that_holds_no_whole_step_is_refused_in_one_line(step: object) -> None:
    trial = nntune.create_study().ask()
    with pytest.raises(ValueError, match=r"^step must be a non-negative integer, got "):
        trial.report(0.5, step)  # type: ignore[arg-type]
