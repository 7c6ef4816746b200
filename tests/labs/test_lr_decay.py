"""Lab ``lr-decay``: constant, step and exponential schedules."""

import pytest

from nntune.labs import run_lab, training
from nntune.labs.training import DECAY_NET


@pytest.mark.slow
def test_decay_settles_lower_than_a_constant_rate():
    result = run_lab("lr-decay", seed=0, quick=True)
    n = result.numbers
    final = n["final_train_loss"]
    assert final["step"] < final["constant"] and final["exponential"] < final["constant"]
    lr = n["lr"]
    start = DECAY_NET["lr"]
    assert lr["constant"][0] == lr["constant"][-1] == pytest.approx(start)
    assert lr["step"][7] == pytest.approx(start) and lr["step"][8] == pytest.approx(start / 10)  # epoch 9 at lr/10
    # The notes' exponential decay: x0.1 every 8 epochs, so epoch 9 trains at lr/10 as the step's does.
    assert lr["exponential"][8] == pytest.approx(start / 10) and lr["exponential"][4] == pytest.approx(start * 0.1 ** 0.5)
    assert n["train_loss"]["step"][:8] == n["train_loss"]["constant"][:8]  # same run until the cut
    assert n["step_below_constant_after_cut"] and n["rising_epochs_from_epoch_10"]["constant"] >= 1
    rise = n["total_rise_from_epoch_10"]
    assert rise["constant"] > training.BOUNCE >= max(rise["step"], rise["exponential"])
    assert result.held


def test_a_bounce_is_counted_over_the_epochs_not_by_its_largest_rise():
    # A constant rate that keeps overshooting in small steps: no epoch rises 10%, three rise 5-6%.
    shared = [1.3, 0.55, 0.44, 0.32, 0.26, 0.25, 0.24, 0.25]
    train = {"constant": shared + [0.27, 0.2, 0.21, 0.2, 0.19, 0.2, 0.18, 0.19],
             "step": shared + [0.12, 0.055, 0.04, 0.03, 0.025, 0.023, 0.021, 0.02],
             "exponential": shared[:1] + [0.49, 0.29, 0.16, 0.08, 0.04, 0.025, 0.019, 0.016] + [0.014, 0.013, 0.012, 0.0115,
                                                                                            0.011, 0.0108, 0.0106]}
    val = {"constant": [0.4] * 16, "step": [0.2] * 16, "exponential": [0.2] * 16}
    checks, n = training.decay_checks(train, val, {k: True for k in train})
    assert n["total_rise_from_epoch_10"]["constant"] == pytest.approx(0.05 + 0.2 / 0.19 - 1 + 0.19 / 0.18 - 1)
    assert n["total_rise_from_epoch_10"]["step"] == 0 == n["total_rise_from_epoch_10"]["exponential"]
    assert all(checks.values()), [k for k, v in checks.items() if not v]
    assert training.total_rise([1.0, 1.2, 0.5, 0.55]) == pytest.approx(0.3)
    assert training.total_rise([1.0, 0.9, 0.8]) == 0 and training.total_rise([]) == 0


@pytest.mark.slow
@pytest.mark.parametrize(("lr", "seed"), [(0.09, 14), (0.25, 6)])
def test_the_claim_holds_across_a_band_of_rates_around_the_lab_s(monkeypatch, lr, seed):
    """The edges of the band benchmarks/lab_lr_decay.py measures: unclipped, lr 0.09 left the
    constant rate of seed 14 only falling (the network fits its 1,500 images) and lr 0.25 left
    seed 6's network at chance before the first cut."""
    monkeypatch.setattr(training, "DECAY_NET", {**DECAY_NET, "lr": lr})
    result = run_lab("lr-decay", seed=seed, quick=True)
    assert result.held, (result.numbers["checks"], result.numbers["total_rise_from_epoch_10"])


@pytest.mark.slow
def test_the_claim_holds_at_its_narrowest_seed():
    """Seed 7: of seeds 0-19 in the quick lab, the constant rate's rises add up to least (16%)."""
    result = run_lab("lr-decay", seed=7, quick=True)
    assert result.held, (result.numbers["checks"], result.numbers["total_rise_from_epoch_10"])
    assert result.numbers["total_rise_from_epoch_10"]["constant"] > 0.15
