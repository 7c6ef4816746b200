"""A curve slowed by a decaying learning-rate schedule, not by convergence: its descent is
read per unit of the rate each epoch had, so a run the schedule stopped near chance is told
its rate is too small, not that its network is too small."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, trained
from nntune.diagnose import diagnose
from nntune.diagnose_findings import LR_SCHEDULE_ADVICE
from nntune.trial import FrozenTrial, TrialState

# Digits, the default MLP (2 x 64 units), SGD at lr 0.06 under cosine decay, batch 128, 8
# epochs (seed 0): the validation loss only got from 2.26 to 2.02 (chance is 2.30) and
# slows at the end because the rate fell to 4% of its start; the study's best is at 97%.
COSINE_CURVES = [  # train_loss, val_loss, train_accuracy, val_accuracy, lr
    (2.284, 2.257, 0.1186, 0.1755, 0.06), (2.237, 2.209, 0.2076, 0.3203, 0.05772),
    (2.188, 2.159, 0.3689, 0.4847, 0.05121), (2.137, 2.11, 0.5255, 0.5292, 0.04148),
    (2.091, 2.069, 0.5931, 0.5627, 0.03), (2.053, 2.042, 0.6098, 0.5933, 0.01852),
    (2.03, 2.028, 0.6311, 0.6072, 0.008787), (2.02, 2.024, 0.6487, 0.61, 0.002284),
]


def recorded(curves: Sequence[tuple[float, float, float, float, float]], *, with_lr: bool = True) -> FrozenTrial:
    records: list[dict[str, Any]] = []
    for epoch, (train_loss, val_loss, train_acc, val_acc, lr) in enumerate(curves, start=1):
        records.append({"step": epoch, "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                        "train_accuracy": train_acc, "val_accuracy": val_acc, "value": val_acc,
                        **({"lr": lr} if with_lr else {})})
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params={"lr_schedule": "cosine"}, value=curves[-1][3],
                       intermediate_values={r["epoch"]: r["value"] for r in records}, metrics=records)


def test_a_curve_slowed_by_a_cosine_schedule_near_chance_is_a_rate_too_small_not_underfitting():
    found = diagnose(recorded(COSINE_CURVES), study_best=0.97)
    assert [f.kind for f in found] == ["lr_too_small"]
    assert "the schedule had lowered it to 4% of its start" in found[0].summary
    # Per epoch the last 3 fell at 46% of the average rate; per unit of rate, faster than average.
    assert found[0].evidence["recent_rate_share"] == pytest.approx(1.37, abs=0.01)


# Digits, the default MLP (2 x 128 units), SGD at lr 0.01, batch 64, exponential decay at
# gamma 0.7 over 40 epochs (seed 0): the rate was under 1% of its start after epoch 13 and
# the validation loss froze at 2.2384133 (float32) from epoch 31 on, at 33% accuracy where
# the same MLP at a constant 0.01 gets past 80%; the study's best is at 97%.
EXPONENTIAL_CURVES = [  # train_loss, val_loss, train_accuracy, val_accuracy, lr
    (2.2983532, 2.2864838, 0.1325, 0.1476, 0.01), (2.2801603, 2.2721982, 0.1918, 0.2006, 0.007),
    (2.2674928, 2.2621586, 0.2335, 0.2423, 0.0049), (2.2585395, 2.2550933, 0.2502, 0.2758, 0.00343),
    (2.252226, 2.2501204, 0.2762, 0.2925, 0.002401), (2.2478066, 2.2466307, 0.2864, 0.3092, 0.001681),
    (2.244699, 2.2441769, 0.2984, 0.3092, 0.001176), (2.2425163, 2.2424498, 0.304, 0.3175, 0.0008235),
    (2.2409783, 2.2412395, 0.3105, 0.3231, 0.0005765), (2.2399065, 2.2403924, 0.3133, 0.3259, 0.0004035),
    (2.2391535, 2.239799, 0.3151, 0.3259, 0.0002825), (2.2386256, 2.2393825, 0.316, 0.3287, 0.0001977),
    (2.2382552, 2.2390914, 0.316, 0.3287, 0.0001384), (2.2379975, 2.2388875, 0.3179, 0.3287, 9.689e-05),
    (2.237816, 2.238745, 0.3197, 0.3287, 6.782e-05), (2.2376898, 2.2386444, 0.3197, 0.3287, 4.748e-05),
    (2.2376011, 2.2385747, 0.3197, 0.3287, 3.323e-05), (2.2375386, 2.2385256, 0.3197, 0.3287, 2.326e-05),
    (2.237495, 2.2384913, 0.3197, 0.3287, 1.628e-05), (2.2374644, 2.238467, 0.3197, 0.3287, 1.14e-05),
    (2.2374432, 2.2384505, 0.3197, 0.3259, 7.979e-06), (2.2374282, 2.2384386, 0.3197, 0.3259, 5.585e-06),
    (2.2374178, 2.2384305, 0.3197, 0.3259, 3.91e-06), (2.2374106, 2.2384248, 0.3197, 0.3259, 2.737e-06),
    (2.2374054, 2.2384207, 0.3197, 0.3259, 1.916e-06), (2.237402, 2.2384179, 0.3197, 0.3259, 1.341e-06),
    (2.2373997, 2.238416, 0.3197, 0.3259, 9.387e-07), (2.2373979, 2.2384148, 0.3197, 0.3259, 6.571e-07),
    (2.237397, 2.238414, 0.3197, 0.3259, 4.6e-07), (2.2373963, 2.2384136, 0.3197, 0.3259, 3.22e-07),
    (2.2373961, 2.2384133, 0.3197, 0.3259, 2.254e-07), (2.2373956, 2.2384133, 0.3197, 0.3259, 1.578e-07),
    (2.2373956, 2.2384133, 0.3197, 0.3259, 1.104e-07), (2.2373956, 2.2384133, 0.3197, 0.3259, 7.731e-08),
    (2.2373956, 2.2384133, 0.3197, 0.3259, 5.412e-08), (2.2373956, 2.2384133, 0.3197, 0.3259, 3.788e-08),
    (2.2373954, 2.2384133, 0.3197, 0.3259, 2.652e-08), (2.2373954, 2.2384133, 0.3197, 0.3259, 1.856e-08),
    (2.2373954, 2.2384133, 0.3197, 0.3259, 1.299e-08), (2.2373956, 2.2384133, 0.3197, 0.3259, 9.095e-09),
]


def test_a_curve_a_schedule_froze_is_told_its_schedule_decays_too_early_not_to_grow_the_network():
    # Before: "underfitting" (a bigger network), as the frozen tail is no descent per epoch
    # nor per unit of rate; the epochs after the rate fell under 1% of its start are not read.
    found = diagnose(recorded(EXPONENTIAL_CURVES), study_best=0.97)
    assert [f.kind for f in found] == ["lr_too_small"], found
    assert found[0].advice == LR_SCHEDULE_ADVICE and "Train for more epochs" not in found[0].advice
    assert "until epoch 13" in found[0].summary and "to 9e-05% of its start" in found[0].summary
    assert found[0].evidence["lr_last_share"] == pytest.approx(9.095e-07)


def test_a_curve_the_schedule_slowed_is_not_sent_to_train_more_epochs_under_it():
    # The first 30 epochs of the same run: still moving, by 2e-5 over the last 8 epochs.
    found = diagnose(recorded(EXPONENTIAL_CURVES[:30]), study_best=0.97)
    assert [f.kind for f in found] == ["lr_too_small"] and found[0].advice == LR_SCHEDULE_ADVICE
    assert "lowered it to 0.003% of its start" in found[0].summary  # was "0%"


def test_without_recorded_rates_the_descent_is_read_per_epoch_as_before():
    assert [f.kind for f in diagnose(recorded(COSINE_CURVES, with_lr=False), study_best=0.97)] == ["underfitting"]


@pytest.fixture(scope="module")
def digits() -> Any:
    yield from one_thread_digits()


@pytest.mark.parametrize("schedule", ["cosine", "step", "exponential"])
@pytest.mark.parametrize("gamma", [None, 0.1])
def test_a_slow_rate_under_a_decaying_schedule_is_told_to_raise_the_rate(digits, schedule, gamma):
    # gamma 0.1: steps of 0.1 every 3 epochs, or exponential decay by 0.1 an epoch, which
    # take the rate to nothing within 10 epochs and freeze the loss (cosine has no gamma).
    decay = {} if gamma is None else {"lr_gamma": gamma, "lr_step_epochs": 3}
    t = trained({"optimizer": "sgd", "lr": 0.01, "epochs": 20, "lr_schedule": schedule, "batch_size": 128, **decay},
                digits)
    assert t.value is not None and t.value < 0.8  # far from the 0.97 the same MLP reaches at a good rate
    found = diagnose(t, study_best=0.97)
    assert [f.kind for f in found] == ["lr_too_small"], found
    assert found[0].advice == LR_SCHEDULE_ADVICE


def test_a_run_the_cosine_schedule_let_converge_keeps_no_finding(digits):
    t = trained({"optimizer": "momentum", "lr": 0.06, "epochs": 20, "lr_schedule": "cosine", "batch_size": 128},
                digits)
    assert t.value is not None and t.value > 0.95
    assert diagnose(t, study_best=0.97) == []
