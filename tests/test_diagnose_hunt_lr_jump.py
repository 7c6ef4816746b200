"""A learning rate too large whose validation loss wobbles by less than 10% of its level is
still named when the training loss jumps with it (the notes: a loss that oscillates, a
training loss that jumps), beside overfitting where that holds too; runs at good rates and
runs that merely overfit (their training loss jumping under dropout) are not told so."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, trained
from nntune.diagnose import diagnose
from nntune.trial import FrozenTrial, TrialState

Curve = tuple[float, float, float, float]  # train_loss, val_loss, train_accuracy, val_accuracy

# Lab learning-rate at seed 3, the large rate (Momentum 0.1 on the 5-layer MLP, 15 epochs):
# the validation loss wobbles by 9.6% of its level and 10% of its range, and the training
# loss jumps from 0.042 to 0.088 (111% above its minimum) at epochs 11-13.
LAB_SEED_3 = [
    (1.3893, 0.7622, 0.58, 0.768), (0.4777, 0.4392, 0.85, 0.882), (0.3078, 0.3404, 0.9093, 0.918),
    (0.2083, 0.337, 0.9393, 0.915), (0.1816, 0.5435, 0.9477, 0.882), (0.1873, 0.3835, 0.9457, 0.904),
    (0.1207, 0.3221, 0.9653, 0.931), (0.0883, 0.4138, 0.97, 0.916), (0.0542, 0.3886, 0.9853, 0.925),
    (0.0426, 0.4201, 0.9877, 0.927), (0.0417, 0.4675, 0.9873, 0.93), (0.0805, 0.5388, 0.976, 0.91),
    (0.0877, 0.4571, 0.9763, 0.919), (0.0584, 0.4883, 0.984, 0.913), (0.0709, 0.4477, 0.982, 0.924),
]
# ... and at seed 9: a wobble of 7.3% of its level and 5.9% of its range, the training loss
# jumping from 0.059 to 0.121 (105%) at epoch 14.
LAB_SEED_9 = [
    (1.2785, 0.8674, 0.614, 0.737), (0.517, 0.7014, 0.855, 0.846), (0.4002, 0.4131, 0.8837, 0.892),
    (0.2683, 0.3506, 0.9173, 0.909), (0.1742, 0.3681, 0.9493, 0.921), (0.1329, 0.364, 0.9583, 0.918),
    (0.1244, 0.3438, 0.962, 0.915), (0.0614, 0.3524, 0.9813, 0.931), (0.0621, 0.4125, 0.9813, 0.912),
    (0.0738, 0.3681, 0.9807, 0.919), (0.0589, 0.4258, 0.9823, 0.913), (0.0606, 0.4436, 0.9813, 0.925),
    (0.0719, 0.4275, 0.9827, 0.916), (0.1209, 0.4419, 0.9697, 0.915), (0.0591, 0.516, 0.9827, 0.912),
]


def recorded(curves: Sequence[Curve]) -> FrozenTrial:
    records = [{"step": e, "epoch": e, "train_loss": tl, "val_loss": vl, "train_accuracy": ta,
                "val_accuracy": va, "value": va, "layers": []}
               for e, (tl, vl, ta, va) in enumerate(curves, start=1)]
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params={"activation": "relu"}, value=curves[-1][3],
                       intermediate_values={r["epoch"]: r["value"] for r in records}, metrics=records)


@pytest.mark.parametrize("curves", [LAB_SEED_3, LAB_SEED_9], ids=["seed3", "seed9"])
def test_a_wobble_under_10_percent_with_a_jumping_training_loss_is_a_rate_too_large(curves):
    found = {f.kind: f for f in diagnose(recorded(curves), study_best=0.972)}
    # Both hold: 1.5-2% training error against 8% on validation is memorization as well.
    assert set(found) == {"lr_too_large", "overfitting"}, found
    assert found["lr_too_large"].evidence["train_loss_jump"] > 1.0
    assert "the training loss jumped" in found["lr_too_large"].summary
    assert "the learning rate is too large" in found["lr_too_large"].advice


def test_the_same_wobble_without_a_jump_in_the_training_loss_is_not_a_rate_too_large():
    # The seed-3 validation curve over a training loss that falls steadily: nothing says
    # the steps overshoot, so a 9.6% wobble alone stays below the bar.
    falling = [(1.4 * 0.75 ** i, v, ta, va) for i, (_, v, ta, va) in enumerate(LAB_SEED_3)]
    assert "lr_too_large" not in [f.kind for f in diagnose(recorded(falling), study_best=0.972)]


# ---------------------------------------------------------------- trained here


# The lab's length when these runs were measured (its large rate was 0.1 for 15 epochs; it
# is longer and larger now, so that its lesson holds at every seed): the runs below are
# those runs, whatever the lab trains today.
MEASURED_EPOCHS = 15


def lab_large_rate(seed: int, lr: float) -> FrozenTrial:
    """The lab's network at this seed and rate (same splits, weights and batches) for the
    15 epochs it trained when these runs were measured, trained alone."""
    import nntune
    from nntune.labs._common import digit_splits, sub_seed
    from nntune.labs.learning_rate import LR_NET
    from nntune.train import fit

    splits, run_seed = digit_splits(seed), sub_seed(seed, "learning-rate")

    def objective(t: nntune.Trial) -> float:
        def report(epoch: int, record: dict[str, Any]) -> bool:
            t.report(record["value"], epoch, metrics=record)
            return False

        return fit({**LR_NET, "epochs": MEASURED_EPOCHS, "lr": lr}, splits, report=report, seed=run_seed).history[-1]["value"]

    study = nntune.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    return study.trials[0]


@pytest.fixture(scope="module")
def digits() -> Any:
    yield from one_thread_digits()


def test_the_labs_large_rate_is_named_at_most_seeds(digits):
    # Which seeds' curves jump depends on float rounding, so on the CPU's own kernels: at
    # lr 0.1 the run is chaotic. Over seeds 0-5 one 2-core machine named 4 (0, 2, 3, 4),
    # another named seeds 3, 5, 8 and 9 of those it tried; a diagnosis that no longer reads
    # a jumping training loss names none (the recorded curves above pin the rule itself).
    found = {seed: [f.kind for f in diagnose(lab_large_rate(seed, 0.1), study_best=0.97)] for seed in range(6)}
    named = [seed for seed, kinds in found.items() if "lr_too_large" in kinds]
    assert len(named) >= 3, found
    assert all("overfitting" in kinds for kinds in found.values()), found


@pytest.mark.parametrize("seed", [5])
def test_the_labs_good_rate_is_not_told_it_is_too_large(digits, seed):
    assert "lr_too_large" not in [f.kind for f in diagnose(lab_large_rate(seed, 0.01), study_best=0.97)]


@pytest.mark.parametrize("seed", [1])
def test_overfitting_under_dropout_with_a_jumping_training_loss_is_not_a_rate_too_large(digits, seed):
    # 300 digits, 6 hidden layers, Adam 1e-3, dropout 0.1: the training loss (dropout on)
    # jumps 54-130% above its minimum and the validation loss wobbles by 4-8% of its level,
    # but by 2% of its range: it rises smoothly from a long first descent.
    from nntune.train.splits import Splits

    few = Splits(digits.x_train[:300], digits.y_train[:300], digits.x_val, digits.y_val, digits.test,
                 digits.task_type, digits.n_classes, info=digits.info)
    params = {"optimizer": "adam", "lr": 1e-3, "layers": 6, "units": 100, "epochs": 30, "dropout": 0.1,
              "weight_decay": 1e-5}
    found = [f.kind for f in diagnose(trained(params, few, seed=seed), study_best=0.972)]
    assert found == ["overfitting"], found
