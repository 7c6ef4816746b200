"""A stepped KerasTuner range whose top is off the grid (its documented ``Int(6, 13,
step=3)``: 6, 9 or 12) ends at the last step, without the warning a trial gives for it."""

from __future__ import annotations

import warnings

import nntune
from nntune.integration import KerasTunerHyperParameters
from nntune.space import Float, Int


def test_a_stepped_range_ends_at_its_last_step_without_a_warning() -> None:
    study = nntune.create_study()
    for _ in range(4):
        trial = study.ask()
        hp = KerasTunerHyperParameters(trial)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            layers = hp.Int("layers", 6, 13, step=3)
            rate = hp.Float("dropout", 0.1, 0.6, step=0.2)
            whole = hp.Float("whole", 0.0, 1.0, step=0.2)  # on the grid already: kept as written
        assert layers in (6, 9, 12) and round(rate, 9) in (0.1, 0.3, 0.5) and 0.0 <= whole <= 1.0
        assert trial.distributions == {"layers": Int(6, 12, step=3), "dropout": Float(0.1, 0.5, step=0.2),
                                       "whole": Float(0.0, 1.0, step=0.2)}
        study.tell(trial, 0.0)
