"""A validation loss swinging up and back down by large amounts is a learning rate too large
(beside overfitting where the errors show that too), not overfitting alone: on a constructed
deep-MLP curve and on a real 8-layer MLP under Adam at 3e-3 on digits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from _diagnose_runs import one_thread_digits, trained
from nntune._diagnose_swings import swings
from nntune.diagnose import diagnose
from nntune.trial import FrozenTrial, TrialState

# An 8-layer ReLU MLP of 100 units on digits, Adam at 3e-3, 30 epochs (seed 2): after a long
# first descent its validation loss leaps from 0.316 to 0.661 and back, and from 0.317 to
# 0.462 and back, while its training loss jumps from 0.021 to 0.097 and its errors show a gap.
VAL = [1.903, 1.48, 0.823, 0.538, 0.333, 0.4, 0.306, 0.429, 0.334, 0.426, 0.415, 0.489, 0.327, 0.297, 0.377,
       0.372, 0.316, 0.661, 0.364, 0.291, 0.353, 0.317, 0.462, 0.341, 0.36, 0.322, 0.391, 0.385, 0.396, 0.401]
TRAIN = [2.228, 1.649, 1.108, 0.532, 0.3, 0.171, 0.16, 0.063, 0.052, 0.082, 0.048, 0.118, 0.048, 0.026, 0.028,
         0.039, 0.021, 0.06, 0.065, 0.097, 0.027, 0.013, 0.054, 0.069, 0.015, 0.026, 0.008, 0.001, 0.001, 0.0004]


def recorded(val: list[float], train: list[float], train_acc: float = 1.0, val_acc: float = 0.94) -> FrozenTrial:
    records = [{"step": e + 1, "epoch": e + 1, "train_loss": t, "val_loss": v, "train_accuracy": train_acc,
                "val_accuracy": val_acc, "value": val_acc, "lr": 3e-3} for e, (t, v) in enumerate(zip(train, val))]
    return FrozenTrial(number=0, state=TrialState.COMPLETE, value=val_acc, metrics=records,
                       intermediate_values={e + 1: val_acc for e in range(len(val))})


def test_a_swinging_validation_loss_is_a_rate_too_large_beside_the_error_gap() -> None:
    found = {f.kind: f for f in diagnose(recorded(VAL, TRAIN), study_best=0.975)}
    assert set(found) == {"overfitting", "lr_too_large"}, found
    f = found["lr_too_large"]
    assert f.evidence["swings"] == 3 and f.evidence["largest_swing"] == pytest.approx(0.661 / 0.364 - 1)
    assert "swings up and back down" in f.summary and "Lower it" in f.advice


def test_a_swinging_validation_loss_alone_is_no_overfitting_signature() -> None:
    """Without an error gap the swings that end above the minimum are the steps overshooting."""
    found = [f.kind for f in diagnose(recorded(VAL, TRAIN, train_acc=0.96, val_acc=0.94), study_best=0.975)]
    assert found == ["lr_too_large"], found


def test_a_wobble_of_a_few_percent_or_a_training_loss_that_only_falls_is_no_swing() -> None:
    calm = [v if i < 15 else 0.35 * (1 + 0.02 * (-1) ** i) for i, v in enumerate(VAL)]
    assert not [f for f in diagnose(recorded(calm, TRAIN), study_best=0.975) if f.kind == "lr_too_large"]
    smooth = list(np.geomspace(2.2, 0.001, len(VAL)))  # a small split's noise: the training loss never jumps
    assert not [f for f in diagnose(recorded(VAL, smooth), study_best=0.975) if f.kind == "lr_too_large"]


def test_swings_are_epochs_above_both_neighbours() -> None:
    assert swings(np.array([1.0, 2.0, 1.0, 1.1, 1.0, 1.0])) == pytest.approx([1.0, 0.1])
    assert swings(np.array([3.0, 2.0, 1.0, 0.5])) == []


@pytest.fixture(scope="module")
def digits() -> Iterator[Any]:
    yield from one_thread_digits()


def test_a_deep_mlp_whose_validation_loss_swings_is_told_its_rate_is_too_large(digits: Any) -> None:
    # Which seeds swing depends on the CPU: the math libraries pick their kernels by the
    # processor (its vendor and model), which orders float sums differently, and 30 epochs at
    # the edge of stability amplify the last bits. Seed 2 swings as above on an Intel Xeon,
    # seeds 0 and 1 on an AMD EPYC (where seed 2 swings by less and is read as overfitting
    # alone); the first of them told its rate is too large suffices.
    told = []
    for seed in (2, 0, 1):
        t = trained({"model": "mlp", "layers": 8, "units": 100, "optimizer": "adam", "lr": 3e-3, "epochs": 30},
                    digits, seed=seed)
        told.append([f.kind for f in diagnose(t, study_best=0.975)])
        if "lr_too_large" in told[-1]:
            return
    raise AssertionError(f"no seed was told lr_too_large: {told}")
