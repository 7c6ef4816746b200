"""A validation loss that leaps once far above both neighbouring epochs, while the training
loss jumps with it, is a learning rate too large: on constructed curves, on the recorded run
of RMSprop at 0.05 on digits, and on that run trained here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from _diagnose_runs import one_thread_digits, recorded, trained
from nntune._diagnose_swings import SWING_SPIKE, swing_finding
from nntune.diagnose import diagnose

# RMSprop at lr 0.05, the default MLP on digits, 30 epochs (seed 0): the first epoch blows
# up (a mean training loss of 390), the run settles near 88%, then at epoch 25 the
# validation loss leaps from 2.32 to 17.3 and the training loss from 0.039 to 6.4.
RMSPROP_SPIKE = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (389.7, 15.47, 0.4411, 0.7493), (10.07, 3.896, 0.8276, 0.8357), (1.228, 2.641, 0.886, 0.8496),
    (0.3731, 2.674, 0.9333, 0.8719), (0.1546, 2.623, 0.9629, 0.8802), (0.1241, 2.558, 0.9676, 0.8858),
    (0.07955, 2.539, 0.9722, 0.8886), (0.07735, 2.48, 0.975, 0.883), (0.06526, 2.478, 0.9759, 0.8802),
    (0.06405, 2.489, 0.975, 0.883), (0.07503, 2.153, 0.9731, 0.8747), (0.08223, 2.456, 0.9722, 0.8719),
    (0.09431, 2.35, 0.9842, 0.8802), (0.05603, 2.32, 0.9852, 0.8774), (0.04681, 2.34, 0.9861, 0.883),
    (0.04476, 2.351, 0.987, 0.883), (0.04343, 2.365, 0.987, 0.883), (0.04262, 2.374, 0.987, 0.883),
    (0.04176, 2.392, 0.987, 0.8802), (0.04144, 2.401, 0.987, 0.8858), (0.04032, 2.378, 0.987, 0.883),
    (0.04027, 2.373, 0.987, 0.8886), (0.03902, 2.34, 0.987, 0.883), (0.04165, 2.324, 0.988, 0.8886),
    (1.831, 17.26, 0.924, 0.6908), (6.399, 1.237, 0.7461, 0.7939), (0.5895, 0.7508, 0.8591, 0.8579),
    (0.4156, 0.578, 0.8832, 0.8747), (0.2931, 0.7309, 0.9157, 0.8747), (0.2285, 0.6849, 0.9027, 0.8942),
]


def test_one_epoch_twice_as_high_as_both_neighbours_is_a_swing_enough() -> None:
    tail = np.array([0.40, 0.41, 0.40, 0.39, 0.95, 0.42, 0.40, 0.41, 0.40, 0.39])
    found = swing_finding(tail, train_jump=5.0)
    assert found is not None and found.kind == "lr_too_large"
    assert found.evidence["swings"] == 1 and found.evidence["largest_swing"] == pytest.approx(0.95 / 0.42 - 1)
    assert "leapt up and back down" in found.summary


def test_one_swing_under_the_spike_is_still_no_swing_enough() -> None:
    # Dropout 0.5 on breast_cancer stood 45% above both neighbours at a good rate.
    tail = np.array([0.40, 0.41, 0.40, 0.39, 0.60, 0.42, 0.40, 0.41, 0.40, 0.39])
    assert 0.60 / 0.42 - 1 < SWING_SPIKE
    assert swing_finding(tail, train_jump=5.0) is None


def test_a_single_spike_after_a_blown_up_first_epoch_is_a_rate_too_large() -> None:
    found = {f.kind: f for f in diagnose(recorded(RMSPROP_SPIKE, {}, {"optimizer": "rmsprop", "lr": 0.05}),
                                         study_best=0.972)}
    assert "lr_too_large" in found, found
    assert found["lr_too_large"].evidence["largest_swing"] == pytest.approx(17.26 / 2.324 - 1)


@pytest.fixture(scope="module")
def digits() -> Iterator[Any]:
    yield from one_thread_digits()


def test_rmsprop_at_a_rate_too_large_on_digits_is_told_so(digits: Any) -> None:
    t = trained({"optimizer": "rmsprop", "lr": 0.05, "epochs": 30}, digits, seed=0)
    assert "lr_too_large" in [f.kind for f in diagnose(t, study_best=0.972)]
