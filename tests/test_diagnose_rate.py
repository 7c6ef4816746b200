"""Learning rates too large read as such, on curves recorded from real runs of the built-in
trainer: a run that climbs back to chance with dead ReLUs is not underfitting, a loss that
jumped and is falling back is not a rate too small; and the runs that bound the thresholds
(a rate too small, heavy L2, a healthy rate) keep their reading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, trained
from nntune.diagnose import diagnose
from nntune.trial import FrozenTrial, TrialState

Curve = tuple[float, float, float, float]  # train_loss, val_loss, train_accuracy, val_accuracy
LayerRow = tuple[str, float, float, float, float]  # name, grad_norm, act_mean, act_std, act_zero_frac

# Digits, an 8-layer He-initialized ReLU MLP (128 units), Momentum at lr 0.1, 12 epochs (seed
# 0): 41% on validation after one epoch, then the training loss climbs from 2.05 to 2.31
# (1.12x its minimum, 76% of its first descent given back) and it sits at chance with fc8 dead.
CLIMB_CURVES = [
    (2.389, 1.831, 0.2243, 0.4067), (2.053, 1.649, 0.342, 0.3844), (2.42, 2.92, 0.2113, 0.1866),
    (2.993, 2.306, 0.2076, 0.1309), (2.646, 2.396, 0.1631, 0.1003), (2.355, 2.311, 0.08156, 0.1003),
    (2.31, 2.306, 0.08156, 0.1003), (2.307, 2.304, 0.09361, 0.1003), (2.305, 2.303, 0.0899, 0.1003),
    (2.307, 2.303, 0.08712, 0.1003), (2.307, 2.304, 0.0899, 0.1003), (2.307, 2.303, 0.09268, 0.1003),
]
CLIMB_LAST = [('fc1', 0.0, 0.6107, 1.318, 0.5919), ('fc2', 0.0, 0.2745, 3.305, 0.9547),
              ('fc3', 0.0, 2.76, 16.45, 0.7333), ('fc4', 0.0, 1.632, 32.25, 0.9565),
              ('fc5', 0.0, 16.08, 94.62, 0.7546), ('fc6', 0.0, 27.78, 259.2, 0.8358),
              ('fc7', 0.0, 259.6, 1463.0, 0.7656), ('fc8', 0.0, 0.0, 0.0, 1.0),
              ('head', 0.1534, 3.446e-08, 0.05457, 0.0)]

# Digits, a 6-layer ReLU MLP, SGD at lr 0.5, 20 epochs (seed 0): the validation loss jumps
# from 1.08 to 2.29 at epoch 11 and falls back; it ends at 93% and still falling, faster
# than its average rate (213%), which a rate too small does not do.
JUMP_CURVES = [
    (2.306, 2.301, 0.09917, 0.1031), (2.303, 2.297, 0.1075, 0.1226), (2.297, 2.285, 0.1233, 0.1643),
    (2.248, 2.085, 0.2076, 0.2591), (1.921, 1.598, 0.2641, 0.3649), (1.697, 2.074, 0.3633, 0.2117),
    (1.762, 1.627, 0.4272, 0.2981), (1.47, 1.207, 0.3865, 0.4958), (1.258, 1.286, 0.5227, 0.5097),
    (1.348, 1.077, 0.5283, 0.6212), (2.158, 2.286, 0.3967, 0.1811), (1.961, 1.588, 0.2604, 0.3816),
    (1.259, 1.081, 0.5329, 0.5543), (1.068, 0.8422, 0.6163, 0.6602), (0.9349, 1.434, 0.6367, 0.4596),
    (0.8473, 1.583, 0.6487, 0.4318), (0.6014, 0.5707, 0.7451, 0.8106), (0.5394, 0.4542, 0.8007, 0.8022),
    (0.1908, 0.3848, 0.9388, 0.922), (0.0626, 0.3317, 0.9852, 0.9331),
]

# Fashion-MNIST (2,000 training images), the default MLP, Adam at lr 0.1, 10 epochs (seed 0):
# flat near 17% from the third epoch on, its loss never climbing back, 99.5% of both hidden
# layers' outputs zero.
DEAD_CURVES = [
    (17.92, 10.14, 0.1355, 0.1862), (4.831, 5.829, 0.2135, 0.24), (3.771, 2.793, 0.198, 0.1887),
    (2.818, 2.845, 0.165, 0.1226), (2.976, 2.38, 0.174, 0.1762), (2.246, 2.191, 0.1845, 0.1705),
    (2.061, 2.151, 0.1685, 0.1968), (2.026, 2.125, 0.181, 0.1887), (2.014, 2.117, 0.173, 0.1699),
    (2.022, 2.14, 0.1795, 0.1658),
]
DEAD_LAST = [('fc1', 0.0, 0.7084, 12.32, 0.9955), ('fc2', 0.03289, 0.009734, 0.1662, 0.9966),
             ('head', 0.2804, 0.2356, 1.506, 0.0)]

# Breast cancer, the default MLP with weight decay 1.0, 20 epochs (seed 2): the penalty
# pulls the data loss up from 0.644 to 0.665 (1.03x, 44% of its descent) and the model
# predicts the majority class, 62%: underfitting, not a rate too large.
L2_CURVES = [
    (0.6918, 0.6728, 0.5249, 0.7368), (0.6676, 0.6567, 0.7302, 0.7982), (0.6538, 0.6483, 0.7859, 0.7982),
    (0.6468, 0.6449, 0.7654, 0.7456), (0.6442, 0.6445, 0.7302, 0.7105), (0.6444, 0.6458, 0.6862, 0.6667),
    (0.6456, 0.6477, 0.6598, 0.6228), (0.6475, 0.6501, 0.6364, 0.6228), (0.6493, 0.6518, 0.6305, 0.6228),
    (0.6511, 0.6539, 0.6276, 0.6228), (0.6532, 0.6558, 0.6276, 0.6228), (0.655, 0.6577, 0.6276, 0.6228),
    (0.6568, 0.6595, 0.6276, 0.6228), (0.6582, 0.6606, 0.6276, 0.6228), (0.6596, 0.6619, 0.6276, 0.6228),
    (0.6607, 0.6628, 0.6276, 0.6228), (0.6618, 0.664, 0.6276, 0.6228), (0.663, 0.665, 0.6276, 0.6228),
    (0.6641, 0.6661, 0.6276, 0.6228), (0.6651, 0.6669, 0.6276, 0.6228),
]
HEALTHY_LAST = [('fc1', 0.01289, 0.09708, 0.1414, 0.4634), ('fc2', 0.06129, 0.036, 0.05238, 0.4438),
                ('head', 0.1086, 0.03605, 0.1238, 0.0)]

# Digits, the default MLP, SGD at lr 0.01, 15 epochs (seed 0): a nearly straight descent,
# 78% at the end: a rate too small.
SLOW_CURVES = [
    (2.298, 2.286, 0.1325, 0.1476), (2.277, 2.266, 0.2039, 0.2256), (2.257, 2.245, 0.2576, 0.3092),
    (2.235, 2.224, 0.3364, 0.3788), (2.213, 2.202, 0.4217, 0.4847), (2.19, 2.179, 0.5209, 0.5487),
    (2.166, 2.155, 0.6015, 0.624), (2.141, 2.129, 0.6682, 0.6657), (2.113, 2.101, 0.6997, 0.6964),
    (2.084, 2.07, 0.7312, 0.7298), (2.052, 2.038, 0.7479, 0.7604), (2.018, 2.003, 0.7674, 0.7744),
    (1.98, 1.965, 0.7785, 0.7772), (1.94, 1.923, 0.7841, 0.7772), (1.897, 1.879, 0.7887, 0.7827),
]

# Digits, the default MLP, Momentum at lr 0.2, 15 epochs (seed 1): the training loss falls to
# 0.0044 at epoch 12, then climbs back to 0.030 (6.8x) while the validation loss rises from
# 0.54 to 0.68: the steps overshoot; overfitting would need the training loss to keep falling.
OVERSHOOT_CURVES = [
    (1.395, 0.519, 0.6135, 0.883), (0.6511, 0.972, 0.8823, 0.8412), (0.4811, 0.8806, 0.8897, 0.8969),
    (0.1713, 0.4791, 0.962, 0.9331), (0.05196, 0.5069, 0.9842, 0.9554), (0.06251, 0.5912, 0.9842, 0.9415),
    (0.06742, 0.6146, 0.9842, 0.9359), (0.0366, 0.5683, 0.9907, 0.9582), (0.02357, 0.5183, 0.9935, 0.961),
    (0.01725, 0.5643, 0.9954, 0.9554), (0.007688, 0.5196, 0.9972, 0.9694), (0.004399, 0.5376, 0.9991, 0.9694),
    (0.02172, 0.5418, 0.9944, 0.9554), (0.03653, 0.7069, 0.9917, 0.9526), (0.02984, 0.6845, 0.9907, 0.9582),
]
# Breast cancer, the default MLP, Adam at lr 0.03, 20 epochs (seed 2): the training loss
# wobbles near zero (0.00034 -> 0.026 at epochs 15-18) and ends falling again, while the
# validation loss sits 7.7x above its epoch-1 minimum: overfitting, as before.
WOBBLE_CURVES = [
    (0.3201, 0.07537, 0.8328, 0.9737), (0.2098, 0.09358, 0.9619, 0.9649), (0.08309, 0.08252, 0.9765, 0.9737),
    (0.06557, 0.1532, 0.9824, 0.9737), (0.06127, 0.2939, 0.9765, 0.9561), (0.05464, 0.5734, 0.9795, 0.9386),
    (0.05181, 0.4708, 0.9824, 0.9474), (0.01576, 0.4159, 0.9971, 0.9474), (0.009731, 0.4824, 0.9941, 0.9561),
    (0.007333, 0.5976, 0.9971, 0.9386), (0.007915, 0.6571, 0.9941, 0.9386), (0.002385, 0.6514, 1.0, 0.9298),
    (0.005817, 0.5979, 0.9971, 0.9561), (0.003727, 0.6059, 0.9971, 0.9561), (0.0003357, 0.6198, 1.0, 0.9561),
    (0.01744, 0.5948, 0.9971, 0.9386), (0.009266, 0.6459, 0.9941, 0.9474), (0.02639, 0.5921, 0.9971, 0.9386),
    (0.002655, 0.5729, 1.0, 0.9386), (0.003176, 0.5774, 0.9971, 0.9386),
]


def recorded(curves: Sequence[Curve], last_layers: Sequence[LayerRow] = HEALTHY_LAST,
             params: Mapping[str, Any] | None = None) -> FrozenTrial:
    """A completed trial holding these epochs, with these layer statistics in the last three."""
    records = []
    for epoch, (train_loss, val_loss, train_acc, val_acc) in enumerate(curves, start=1):
        rows = [{"name": n, "grad_norm": g, "act_mean": m, "act_std": s, "act_zero_frac": z}
                for n, g, m, s, z in last_layers] if epoch > len(curves) - 3 else []
        records.append({"step": epoch, "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                        "train_accuracy": train_acc, "val_accuracy": val_acc, "value": val_acc, "layers": rows})
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params={"activation": "relu", **(params or {})},
                       value=curves[-1][3], intermediate_values={r["epoch"]: r["value"] for r in records},
                       metrics=records)


def kinds(t: FrozenTrial, best: float) -> list[str]:
    return [f.kind for f in diagnose(t, study_best=best)]


def test_a_training_loss_climbing_back_to_chance_is_a_rate_too_large_not_underfitting():
    found = diagnose(recorded(CLIMB_CURVES, CLIMB_LAST), study_best=0.972)
    assert [f.kind for f in found] == ["lr_too_large", "dead_relus"]
    assert found[0].evidence["train_loss_min"] == pytest.approx(2.053)
    assert found[0].evidence["train_loss_last"] == pytest.approx(2.307)


def test_a_validation_loss_that_jumped_and_falls_back_is_not_a_rate_too_small():
    found = kinds(recorded(JUMP_CURVES), best=0.972)
    assert "lr_too_small" not in found and "underfitting" not in found


def test_errors_held_high_by_dead_relus_are_not_called_underfitting():
    found = diagnose(recorded(DEAD_CURVES, DEAD_LAST), study_best=0.83)
    assert [f.kind for f in found] == ["dead_relus"]
    assert found[0].evidence["train_error"] == pytest.approx(1 - (0.181 + 0.173 + 0.1795) / 3)
    assert "not the network's size" in found[0].summary


def test_a_data_loss_pulled_up_by_heavy_weight_decay_is_still_underfitting():
    assert kinds(recorded(L2_CURVES, params={"weight_decay": 1.0}), best=0.982) == ["underfitting"]


def test_a_straight_slow_descent_is_still_a_rate_too_small():
    assert kinds(recorded(SLOW_CURVES), best=0.972) == ["lr_too_small"]


def test_both_losses_climbing_at_the_end_is_a_rate_too_large_not_overfitting():
    found = diagnose(recorded(OVERSHOOT_CURVES), study_best=0.972)
    assert [f.kind for f in found] == ["lr_too_large"]
    assert found[0].evidence["train_loss_min"] == pytest.approx(0.004399)
    assert found[0].evidence["train_loss_min_epoch"] == 12
    assert "climbed back" in found[0].summary


def test_a_training_loss_wobbling_near_zero_and_falling_again_is_still_overfitting():
    assert kinds(recorded(WOBBLE_CURVES), best=0.982) == ["overfitting"]


# ---------------------------------------------------------------- trained here


@pytest.fixture(scope="module")
def digits() -> Any:
    yield from one_thread_digits()


def test_momentum_too_large_on_a_deep_relu_net_is_not_told_to_grow_the_network(digits):
    # Other seeds of this run diverge outright; either reading blames the rate.
    t = trained({"layers": 8, "units": 128, "init": "he_normal", "optimizer": "momentum", "lr": 0.1,
                 "epochs": 12}, digits)
    found = kinds(t, best=0.972)
    assert {"lr_too_large", "diverged"} & set(found)
    assert "underfitting" not in found and "lr_too_small" not in found


def test_sgd_too_large_on_a_deep_relu_net_is_not_told_to_raise_the_rate(digits):
    t = trained({"optimizer": "sgd", "lr": 0.5, "layers": 6, "epochs": 20}, digits)
    assert "lr_too_small" not in kinds(t, best=0.972)
