"""Lab ``batch-size``: batches of 1, 32 and the whole training set."""

import itertools

from nntune.labs import run_lab
from nntune.labs.training import sgd_run
from nntune.train import load_splits


def test_noise_against_time_per_epoch():
    result = run_lab("batch-size", seed=0, quick=True)
    one, mini, full = result.numbers["runs"].values()
    assert [r["batch_size"] for r in (one, mini)] == [1, 32] and full["batch_size"] == result.numbers["n_train"]
    assert one["relative_loss_noise"] > mini["relative_loss_noise"] > full["relative_loss_noise"]
    assert full["relative_loss_noise"] < 1e-4  # the full batch sees the whole set's loss itself
    assert one["updates"] == result.numbers["epochs"] * result.numbers["n_train"]
    assert one["seconds_per_epoch"] >= 3 * mini["seconds_per_epoch"]
    assert full["final_train_loss"] > max(one["final_train_loss"], mini["final_train_loss"])
    assert result.held


def test_the_clock_is_injected():
    splits = load_splits("digits", seed=0, train_size=64)
    ticks = itertools.count(0.0, 0.5)
    run = sgd_run(splits, 32, 2, seed=0, clock=lambda: next(ticks))
    assert run["epoch_seconds"] == [1.0, 1.0]  # two updates per epoch, each 0.5 s on the fake clock


def test_updates_are_placed_at_the_epochs_they_end():
    from nntune.labs.training import epochs_at_updates

    # 400 samples in batches of 32: 12 full batches and one of 16 per epoch; epoch ends fall on 1.0 and 2.0.
    at = epochs_at_updates(400, 32, 2)
    assert len(at) == 26 and at[12] == 1.0 and at[-1] == 2.0 and at[0] == 32 / 400
    assert list(epochs_at_updates(4, 4, 3)) == [1.0, 2.0, 3.0]
    assert list(epochs_at_updates(3, 1, 1)) == [1 / 3, 2 / 3, 1.0]
