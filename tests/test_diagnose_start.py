"""A first epoch whose steps blew the network up is a learning rate too large, even where the
later epochs look calm: RMSprop at 0.05 on digits averages a training loss of 390 over its first
epoch against the 2.30 (ln 10) of an untrained network, and is read so; a good rate, and a
first epoch lifted by weights initialized too large, are not."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from _diagnose_runs import linear_summary, one_thread_digits, trained
from nntune._diagnose_start import START_BLOWUP, start_blowup, untrained_loss
from nntune.diagnose import diagnose


@pytest.fixture(scope="module")
def digits() -> Iterator[Any]:
    yield from one_thread_digits()


def test_rmsprop_that_blew_up_in_its_first_epoch_is_told_its_rate_is_too_large(digits: Any) -> None:
    # Before: no finding (10 epochs, 88% on validation against 97-98% at good rates).
    t = trained({"optimizer": "rmsprop", "lr": 0.05, "epochs": 10}, digits)
    found = {f.kind: f for f in diagnose(t, study_best=0.983)}
    assert "lr_too_large" in found, found
    f = found["lr_too_large"]
    assert f.evidence["untrained_loss"] == pytest.approx(math.log(10))
    assert f.evidence["train_loss"] >= START_BLOWUP * math.log(10)
    assert "over epoch 1" in f.summary and "10 classes" in f.summary, f.summary
    assert not {"overfitting", "underfitting"} & set(found), found


def test_a_good_rate_starts_at_or_under_the_untrained_loss(digits: Any) -> None:
    t = trained({"optimizer": "rmsprop", "lr": 1e-3, "epochs": 3}, digits)
    assert t.metrics[0]["train_loss"] < 1.1 * math.log(10)
    assert "lr_too_large" not in [f.kind for f in diagnose(t, study_best=0.983)]


def test_a_first_epoch_lifted_by_exploded_initial_gradients_is_the_initializations() -> None:
    # Unnormalized digits with std-0.3 weights average 52 ln C over epoch 1 at Adam 1e-3,
    # their first probe at 243 before any update: exploding_gradients names that.
    loss = np.array([120.0, 3.0, 1.0])
    assert start_blowup(loss, math.log(10), [(1, "fc1", 243.0)]) is None
    assert start_blowup(loss, math.log(10), [(1, "fc1", 0.3)]) is not None
    assert start_blowup(loss, math.log(10), [(4, "fc1", 0.3)]) is None  # records begun later: no untrained start


def test_the_untrained_loss_is_ln_c_for_a_cross_entropy_classifier_only() -> None:
    rec = [{"train_loss": 1.0, "val_loss": 1.0, "train_accuracy": 0.5, "val_accuracy": 0.5}]
    assert untrained_loss(linear_summary(128, 10), rec, {}) == pytest.approx(math.log(10))
    assert untrained_loss(linear_summary(128, 2), rec, {}) == pytest.approx(math.log(2))
    assert untrained_loss(linear_summary(128, 10), rec, {"loss": "mse"}) is None  # a softmax's mse is bounded
    assert untrained_loss(linear_summary(128, 1), [{"train_loss": 1.0, "val_loss": 1.0, "val_rmse": 1.0}], {}) is None
    assert untrained_loss(None, rec, {}) is None
