"""Underfitting on recorded runs of the built-in trainer whose capacity is cut: a hidden
layer of a third of the output's classes or fewer, or a weight penalty; and short real runs,
of such a network and of wider ones that only fit slowly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from _diagnose_runs import linear_summary as summary
from _diagnose_runs import one_thread_digits, trained
from nntune.diagnose import diagnose, has_bottleneck
from nntune.trial import FrozenTrial, TrialState

Curve = tuple[float, float, float, float]

# A 2-unit MLP on digits (layers 1, units 2, Adam 1e-3, 15 epochs, seed 0): its loss still
# falls in a straight line at epoch 15, at 70% error on both splits.
UNITS2_DIGITS = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (2.41, 2.37, 0.1038, 0.1031), (2.357, 2.329, 0.1066, 0.1003), (2.317, 2.294, 0.1112, 0.1142),
    (2.281, 2.262, 0.1121, 0.117), (2.248, 2.229, 0.1168, 0.1281), (2.214, 2.197, 0.1362, 0.1393),
    (2.179, 2.165, 0.1557, 0.1643), (2.145, 2.134, 0.177, 0.1922), (2.112, 2.106, 0.1974, 0.2006),
    (2.082, 2.078, 0.2243, 0.234), (2.054, 2.053, 0.2706, 0.2981), (2.029, 2.03, 0.2938, 0.3064),
    (2.005, 2.009, 0.2966, 0.3092), (1.984, 1.99, 0.3031, 0.3092), (1.964, 1.972, 0.3049, 0.3008),
]
# The default MLP (2 x 128) on a 2,000-image Fashion-MNIST subset with weight_decay 0.1
# (10 epochs, seed 0): flat from epoch 6 on at 25% vs 27% error; the study's best is 83%.
L2_FASHION = [
    (1.441, 0.9116, 0.5535, 0.7109), (0.892, 0.8528, 0.7025, 0.7197), (0.8266, 0.8037, 0.728, 0.7229),
    (0.8024, 0.8141, 0.7425, 0.7157), (0.7927, 0.7856, 0.738, 0.7379), (0.7767, 0.7628, 0.7485, 0.7536),
    (0.7736, 0.7621, 0.7415, 0.7517), (0.7596, 0.7798, 0.7455, 0.7246), (0.7612, 0.7918, 0.7495, 0.7246),
    (0.7585, 0.794, 0.746, 0.739),
]
FASHION_BEST = 0.83
# A 4-unit MLP on the same subset (layers 1, units 4, 10 epochs, seed 1): 30% vs 32% error,
# 1.8x the best, its descent slowing. At Adam 1e-2 the same net reaches 11% training error in
# 40 epochs and overfits (75% on validation): 4 units are no cap on Fashion-MNIST's 10 classes.
UNITS4_FASHION = [
    (2.046, 1.867, 0.21, 0.2978), (1.773, 1.688, 0.362, 0.3693), (1.612, 1.549, 0.386, 0.4032),
    (1.462, 1.411, 0.4305, 0.4754), (1.316, 1.264, 0.533, 0.5657), (1.167, 1.134, 0.6435, 0.6571),
    (1.043, 1.027, 0.681, 0.6693), (0.9524, 0.9585, 0.688, 0.6735), (0.8807, 0.9029, 0.696, 0.6783),
    (0.8329, 0.8603, 0.706, 0.6993),
]

# Wine (2 x 128 units, Adam 1e-3, dropout 0.8, weight_decay 0.1, batch 32, 40 epochs, seed
# 0): the study's best trial, 100% on validation from epoch 9 on; its training accuracy,
# scored on the batches with dropout on, averages 91.8% over the last 3 epochs.
DROPOUT_WINE = [
    (1.215, 1.073, 0.2453, 0.5556), (1.161, 1.036, 0.3113, 0.7222), (1.097, 1.001, 0.4245, 0.8611),
    (1.036, 0.9665, 0.4717, 0.9167), (1.073, 0.9351, 0.4057, 0.9722), (1.013, 0.9055, 0.4434, 0.9722),
    (0.946, 0.8786, 0.5566, 0.9722), (0.9113, 0.8519, 0.6415, 0.9722), (0.8584, 0.8241, 0.7453, 1.0),
    (0.8542, 0.7962, 0.6509, 1.0), (0.8651, 0.7683, 0.6604, 1.0), (0.8295, 0.7413, 0.7075, 1.0),
    (0.824, 0.7139, 0.6604, 1.0), (0.8137, 0.687, 0.7264, 1.0), (0.8108, 0.6617, 0.7547, 1.0),
    (0.7172, 0.6362, 0.8208, 1.0), (0.8147, 0.6132, 0.6981, 1.0), (0.7201, 0.5899, 0.7547, 1.0),
    (0.7186, 0.5665, 0.8208, 1.0), (0.6544, 0.5426, 0.8396, 1.0), (0.6623, 0.5191, 0.8019, 1.0),
    (0.6759, 0.4968, 0.8113, 1.0), (0.6271, 0.4756, 0.8396, 1.0), (0.597, 0.4556, 0.9151, 1.0),
    (0.6056, 0.4367, 0.8491, 1.0), (0.5731, 0.4183, 0.8962, 1.0), (0.5566, 0.4011, 0.8679, 1.0),
    (0.5625, 0.3851, 0.8491, 1.0), (0.5379, 0.3701, 0.8585, 1.0), (0.5327, 0.3563, 0.9057, 1.0),
    (0.4873, 0.3434, 0.8962, 1.0), (0.5198, 0.3313, 0.8491, 1.0), (0.4602, 0.3203, 0.9057, 1.0),
    (0.4171, 0.3096, 0.8962, 1.0), (0.4721, 0.2995, 0.8774, 1.0), (0.4315, 0.2894, 0.934, 1.0),
    (0.4414, 0.2807, 0.8774, 1.0), (0.4548, 0.272, 0.9245, 1.0), (0.4046, 0.264, 0.8962, 1.0),
    (0.3997, 0.2576, 0.934, 1.0),
]


def recorded(curves: Sequence[Curve], params: dict[str, Any], widths: Sequence[int]) -> FrozenTrial:
    records = [{"step": e, "epoch": e, "train_loss": tl, "val_loss": vl, "train_accuracy": ta,
                "val_accuracy": va, "value": va} for e, (tl, vl, ta, va) in enumerate(curves, start=1)]
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params=params, value=curves[-1][3],
                       intermediate_values={r["epoch"]: r["value"] for r in records}, metrics=records,
                       user_attrs={"model_summary": summary(*widths)})


def kinds(t: FrozenTrial, **kw: Any) -> list[str]:
    return [f.kind for f in diagnose(t, **kw)]


def test_a_2_unit_net_still_falling_is_underfitting_not_a_rate_too_small():
    narrow = recorded(UNITS2_DIGITS, {"layers": 1, "units": 2}, (2, 10))
    assert kinds(narrow, study_best=0.972) == ["underfitting"]
    assert kinds(narrow) == ["underfitting"]  # no study best: 70% error is high on its own
    # The same curve from a full-width network is a rate too small: it would get further.
    wide = recorded(UNITS2_DIGITS, {}, (128, 128, 10))
    assert kinds(wide, study_best=0.972) == ["lr_too_small"]


def test_a_4_unit_net_at_1_8x_the_best_error_is_read_as_a_full_width_one():
    # Before: underfitting, its capacity taken as cut by "fewer units than classes".
    assert kinds(recorded(UNITS4_FASHION, {"layers": 1, "units": 4}, (4, 10)), study_best=FASHION_BEST) == []
    assert kinds(recorded(UNITS4_FASHION, {}, (128, 128, 10)), study_best=FASHION_BEST) == []


def test_a_bottleneck_is_a_hidden_layer_of_a_third_of_the_classes_or_fewer():
    # Best training accuracy at good rates (60 epochs): 91% for 3 units on digits, 97% for
    # 4, 100% for 8; 84% for 1 unit on wine, 99-100% for 2; 99% for 1 on breast_cancer.
    assert has_bottleneck(recorded(UNITS2_DIGITS, {}, (3, 10)))
    assert has_bottleneck(recorded(UNITS2_DIGITS, {}, (1, 3)))  # 1 unit, 3 classes
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, (4, 10)))
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, (8, 10)))
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, (2, 3)))
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, (1, 2)))  # 1 unit, 2 classes
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, (128, 128, 10)))
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, (16, 1)))  # a regression head
    assert not has_bottleneck(recorded(UNITS2_DIGITS, {}, ()))


def test_a_weight_penalty_flattening_at_1_5x_the_best_error_is_underfitting():
    found = diagnose(recorded(L2_FASHION, {"weight_decay": 0.1}, (128, 128, 10)), study_best=FASHION_BEST)
    assert [f.kind for f in found] == ["underfitting"]
    assert "weight_decay 0.1" in found[0].summary
    # Without a penalty (or a narrow layer), 1.5x the best error is not "high".
    assert kinds(recorded(L2_FASHION, {}, (128, 128, 10)), study_best=FASHION_BEST) == []


def test_dropout_lifting_the_training_error_of_the_best_trial_is_no_underfitting():
    # Before: "training error 8.2% and validation error 0.0% are both high (best trial:
    # 0.0%)", telling the best trial to grow and to weaken its regularization.
    params = {"dropout": 0.8, "weight_decay": 0.1}
    assert kinds(recorded(DROPOUT_WINE, params, (128, 128, 3)), study_best=1.0) == []


@pytest.fixture(scope="module")
def digits() -> Iterator[Any]:
    yield from one_thread_digits()


@pytest.mark.parametrize("units", [4, 8])
def test_a_4_or_8_unit_net_on_digits_still_falling_is_a_rate_too_small(digits: Any, units: int) -> None:
    # Before: underfitting against the study's best (and, for 4 units, alone too), and told
    # to grow; at Adam 1e-2 the 4-unit net reaches 94% training accuracy in 30 epochs.
    t = trained({"layers": 1, "units": units, "lr": 1e-3, "epochs": 15}, digits)
    assert kinds(t, study_best=0.983) == ["lr_too_small"]
    assert kinds(t) == ["lr_too_small"]


@pytest.mark.slow
def test_a_real_2_unit_net_on_digits_is_underfitting():
    import torch

    from nntune.train import fit, load_splits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        history: list[dict[str, Any]] = []
        res = fit({"layers": 1, "units": 2, "epochs": 15}, load_splits("digits"), metric="accuracy", seed=0,
                  report=lambda e, r: (history.append(r), False)[1])
    finally:
        torch.set_num_threads(before)
    t = FrozenTrial(number=0, state=TrialState.COMPLETE, params={"layers": 1, "units": 2},
                    value=history[-1]["value"], intermediate_values={r["epoch"]: r["value"] for r in history},
                    metrics=history, user_attrs={"model_summary": res.summary})
    assert kinds(t, study_best=0.97) == ["underfitting"]
