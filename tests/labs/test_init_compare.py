"""Lab ``init-compare``: std 0.01 vs Xavier vs He vs zeros on a 5-layer MLP (figure 6-15)."""

import math

import pytest

from nntune.labs import run_lab


@pytest.mark.slow
def test_std_001_does_not_learn_xavier_and_he_do_zeros_stay_identical():
    result = run_lab("init-compare", seed=0, quick=True)
    n = result.numbers
    final = n["final_train_loss"]
    assert abs(final["std 0.01"] - math.log(10)) < 0.01
    assert final["Xavier"] < math.log(10) / 2
    assert final["He"] < math.log(10) / 2
    assert n["mean_train_loss"]["He"] < n["mean_train_loss"]["Xavier"]
    assert n["final_val_accuracy"]["He"] > 0.8
    assert n["final_val_accuracy"]["std 0.01"] < 0.2
    spread = n["zeros_hidden_layers"]
    assert set(spread) == {"fc1", "fc2", "fc3", "fc4"}
    assert all(s["relative_unit_difference"] < 1e-5 for s in spread.values())
    assert max(s["max_abs_weight"] for s in spread.values()) > 0
    assert result.held
