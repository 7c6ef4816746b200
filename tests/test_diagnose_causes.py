"""Findings that explain others (nntune.diagnose_causes), on recorded real runs: a layer-level
cause holding the errors high is named in place of underfitting, whose advice (a bigger
network) would not help."""

from __future__ import annotations

from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, recorded, trained
from nntune.diagnose import diagnose


# A 5-layer sigmoid MLP of 100 units on digits, weights drawn with std 1, SGD at 0.01, 30
# epochs (seed 0): every sigmoid layer saturated from the first probe, 43% training error and
# 53% on validation at the end, where the default MLP reaches 2.8%.
SIGMOID_STD1 = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (6.847, 4.613, 0.1418, 0.1588), (3.852, 3.412, 0.177, 0.1755), (3.032, 2.895, 0.1816, 0.195),
    (2.639, 2.636, 0.2057, 0.2173), (2.43, 2.495, 0.2289, 0.2396), (2.301, 2.403, 0.2484, 0.2451),
    (2.203, 2.324, 0.2595, 0.2646), (2.119, 2.259, 0.2873, 0.2841), (2.043, 2.201, 0.3021, 0.312),
    (1.972, 2.15, 0.3188, 0.312), (1.909, 2.101, 0.3346, 0.3231), (1.852, 2.056, 0.3494, 0.3259),
    (1.798, 2.016, 0.3781, 0.3315), (1.75, 1.98, 0.393, 0.3398), (1.703, 1.942, 0.3976, 0.351),
    (1.66, 1.911, 0.4245, 0.3482), (1.62, 1.879, 0.4356, 0.3565), (1.581, 1.848, 0.4458, 0.3677),
    (1.544, 1.817, 0.4606, 0.3816), (1.509, 1.792, 0.469, 0.3816), (1.477, 1.766, 0.4866, 0.4011),
    (1.446, 1.74, 0.4986, 0.4067), (1.416, 1.715, 0.5181, 0.4206), (1.388, 1.692, 0.5236, 0.429),
    (1.361, 1.671, 0.5348, 0.4345), (1.334, 1.647, 0.5422, 0.4457), (1.308, 1.627, 0.5524, 0.4513),
    (1.283, 1.608, 0.5644, 0.4513), (1.259, 1.586, 0.5663, 0.4596), (1.237, 1.566, 0.5765, 0.4735),
]
_SIGMOID_END = [('fc1', 0.5221, 0.4985, 0.4417, 0.0), ('fc2', 0.5397, 0.4859, 0.4367, 0.0),
                ('fc3', 0.554, 0.4777, 0.4423, 0.0), ('fc4', 0.6215, 0.5515, 0.4385, 0.0),
                ('fc5', 0.665, 0.5213, 0.4481, 0.0), ('head', 0.7061, 0.09664, 1.742, 0.0)]
SIGMOID_STD1_LAYERS = {  # epoch: (name, grad_norm, act_mean, act_std, act_zero_frac) per layer
    1: [('fc1', 1.02, 0.4981, 0.4422, 0.0), ('fc2', 1.385, 0.4921, 0.4364, 0.0), ('fc3', 2.306, 0.4686, 0.4397, 0.0),
        ('fc4', 3.481, 0.5577, 0.4381, 0.0), ('fc5', 5.006, 0.5367, 0.4391, 0.0), ('head', 6.267, 0.03718, 5.139, 0.0)],
    30: _SIGMOID_END,
}

# A 6-layer ReLU MLP of 128 units on 3,000 Fashion-MNIST images, weights drawn with std 0.3,
# SGD at 0.01 with gradients clipped to norm 1, 20 epochs (seed 0): its gradient norms 3.2e3
# before any update and 277-557 at the end, 37.5% training error and 43% on validation,
# where the default MLP reaches 16%.
CLIPPED_STD03 = [
    (1221, 737.8, 0.105, 0.17), (576.3, 453.7, 0.1873, 0.2325), (397.7, 350.7, 0.2683, 0.3009),
    (315.9, 293.5, 0.3337, 0.3533), (264.3, 254.3, 0.3867, 0.3962), (228.9, 226.3, 0.4257, 0.4212),
    (202.8, 205.8, 0.4517, 0.4495), (182.7, 190.7, 0.481, 0.4706), (166.4, 178, 0.5073, 0.4789),
    (153.4, 168.2, 0.5167, 0.4958), (142.3, 159.2, 0.5323, 0.5032), (132.8, 151.6, 0.5467, 0.5192),
    (124.1, 146.7, 0.5613, 0.5212), (116.2, 141.8, 0.5747, 0.5341), (109.7, 135.5, 0.5857, 0.5399),
    (103.8, 130.5, 0.596, 0.5494), (97.88, 128.8, 0.6053, 0.5561), (93.06, 125.1, 0.6207, 0.5579),
    (88.46, 121.6, 0.618, 0.5594), (84.57, 117.8, 0.6253, 0.5657),
]
CLIPPED_STD03_LAYERS = {
    1: [('fc1', 1399, 3.563, 5.325, 0.494), ('fc2', 2074, 8.259, 13.28, 0.5228), ('fc3', 2442, 20.27, 31.72, 0.4966),
        ('fc4', 2913, 42.16, 70.67, 0.5477), ('fc5', 2842, 103.3, 170.5, 0.5179), ('fc6', 2896, 242.9, 369.1, 0.4923),
        ('head', 3169, 240.2, 1402, 0.0)],
    16: [('fc1', 379.8, 3.501, 5.36, 0.5083), ('fc6', 493.1, 198.3, 313.3, 0.5056), ('head', 531.1, -86.14, 501.5, 0.0)],
    17: [('fc1', 363, 3.297, 4.963, 0.4956), ('fc6', 544.8, 188.5, 293.3, 0.4976), ('head', 497.4, -102.1, 450.9, 0.0)],
    18: [('fc1', 313.9, 3.385, 5.097, 0.499), ('fc6', 442.1, 196.4, 302.3, 0.4896), ('head', 496.8, -127.5, 499.1, 0.0)],
    19: [('fc1', 317.1, 3.586, 5.451, 0.5012), ('fc6', 376.1, 200.3, 316.1, 0.4989), ('head', 436.6, -102.3, 485.1, 0.0)],
    20: [('fc1', 277.5, 3.602, 5.371, 0.4958), ('fc6', 376.9, 204.7, 320.6, 0.507), ('head', 345.4, -123.1, 505.5, 0.0)],
}


def test_saturated_sigmoids_not_the_network_s_size_hold_the_errors_high():
    params = {"layers": 5, "units": 100, "activation": "sigmoid", "init": "normal", "init_std": 1.0,
              "optimizer": "sgd", "lr": 0.01}
    found = diagnose(recorded(SIGMOID_STD1, SIGMOID_STD1_LAYERS, params), study_best=0.972)
    assert [f.kind for f in found] == ["saturated_activations"], found
    summary = found[0].summary
    assert "training error 43.1% and validation error 53.9% are both high" in summary, summary
    assert summary.endswith("the saturated units, not the network's size, hold it back"), summary
    assert found[0].evidence["train_error"] == pytest.approx(0.431, abs=1e-3)
    # The advice is the initial scale's, not "a bigger network".
    assert "std 1" in found[0].advice and "bigger network" not in found[0].advice


def test_gradients_exploded_by_the_initialization_not_the_network_s_size_hold_the_errors_high():
    params = {"layers": 6, "units": 128, "init": "normal", "init_std": 0.3, "optimizer": "sgd", "lr": 0.01,
              "grad_clip": 1.0}
    found = diagnose(recorded(CLIPPED_STD03, CLIPPED_STD03_LAYERS, params), study_best=0.84)
    assert [f.kind for f in found] == ["exploding_gradients"], found
    summary = found[0].summary
    assert "before any update" in summary and "clipped to 1" in summary, summary
    assert summary.endswith("are both high (best trial: 16.0%): the exploding gradients, not the network's "
                            "size, hold it back"), summary
    assert "initialize weights smaller" in found[0].advice


@pytest.fixture(scope="module")
def digits() -> Any:
    yield from one_thread_digits()


def test_a_trained_std_1_sigmoid_stack_is_told_to_fix_its_initialization_not_to_grow(digits):
    t = trained({"layers": 5, "units": 100, "activation": "sigmoid", "init": "normal", "init_std": 1.0,
                 "optimizer": "sgd", "lr": 0.01, "epochs": 12}, digits)
    found = diagnose(t, study_best=0.972)
    assert [f.kind for f in found] == ["saturated_activations"], found
    assert "not the network's size, hold it back" in found[0].summary, found[0].summary


# Adam at lr 0.3 on breast_cancer, the default MLP (two hidden ReLU layers of 128), 30 epochs
# (seed 0): its loss blew up in the first epochs, 94% of fc2's outputs ended at zero, and
# fc1's gradient sits orders of magnitude below the head's.
DEAD_BC = [
    (278.7, 3.675, 0.4311, 0.9561), (26.47, 33.12, 0.9326, 0.9737), (15.41, 65.54, 0.9677, 0.9649),
    (20.68, 34.77, 0.9648, 0.9737), (4.807, 31.45, 0.9736, 0.9211), (2.4, 26.22, 0.9707, 0.9649),
    (1.184, 19.25, 0.9824, 0.9561), (0.5525, 14.38, 0.9765, 0.9298), (7.536, 21.44, 0.9355, 0.9825),
    (0.4107, 37.87, 0.9824, 0.9649), (0.3553, 44.58, 0.9824, 0.9649), (0.1187, 47.8, 0.9853, 0.9649),
    (0.05469, 49.68, 0.9853, 0.9649), (0.03627, 50.92, 0.9912, 0.9649), (0.03607, 51.61, 0.9912, 0.9649),
    (0.03251, 51.99, 0.9912, 0.9649), (0.03062, 52.19, 0.9912, 0.9649), (0.02923, 52.3, 0.9912, 0.9649),
    (0.02771, 52.36, 0.9912, 0.9649), (0.02599, 52.39, 0.9912, 0.9649), (0.02515, 52.4, 0.9912, 0.9649),
    (0.02338, 52.4, 0.9912, 0.9649), (0.02244, 52.4, 0.9912, 0.9649), (0.02178, 52.4, 0.9912, 0.9649),
    (0.02099, 52.4, 0.9912, 0.9649), (0.02035, 52.4, 0.9912, 0.9649), (0.01999, 52.4, 0.9912, 0.9649),
    (0.01974, 52.39, 0.9912, 0.9649), (0.01944, 52.39, 0.9912, 0.9649), (0.01914, 52.39, 0.9912, 0.9649),
]
DEAD_BC_LAYERS = {
    1: [('fc1', 0.2117, 0.2153, 0.352, 0.4806), ('fc2', 0.5162, 0.09678, 0.1625, 0.463),
        ('head', 0.6209, -0.03569, 0.1686, 0.0)],
    26: [('fc1', 2.647e-05, 6.041, 12.33, 0.589), ('fc2', 1.057e-05, 33.27, 210.9, 0.9399),
         ('head', 0.003395, -107.3, 6122, 0.0)],
    27: [('fc1', 0.002212, 6.577, 14.04, 0.5583), ('fc2', 0.002536, 37.28, 243.3, 0.9358),
         ('head', 0.009647, -112.1, 7291, 0.0)],
    28: [('fc1', 1.203e-16, 4.941, 11.55, 0.6107), ('fc2', 1.877e-16, 24.35, 181.9, 0.9567),
         ('head', 0.01415, -79.6, 5078, 0.0)],
    29: [('fc1', 9.656e-05, 6.663, 14.11, 0.5773), ('fc2', 0.0001221, 36.04, 239.1, 0.9457),
         ('head', 0.008617, -116.4, 6745, 0.0)],
    30: [('fc1', 6.094e-16, 5.192, 10.01, 0.6024), ('fc2', 3.836e-16, 28.07, 170.3, 0.9421),
         ('head', 0.01396, -89.93, 4827, 0.0)],
}


def test_dead_units_not_a_deep_stack_starve_the_first_layer_of_gradient():
    found = diagnose(recorded(DEAD_BC, DEAD_BC_LAYERS, {"optimizer": "adam", "lr": 0.3}), study_best=0.974)
    kinds = [f.kind for f in found]
    assert "vanishing_gradients" not in kinds and "dead_relus" in kinds, found
    dead = next(f for f in found if f.kind == "dead_relus")
    assert dead.summary.startswith("fc2: up to 94% of outputs are zero, and they starve the layers below of "
                                   "gradient: gradient norm of fc1 is 10^"), dead.summary
    assert dead.evidence["log10_ratio"] < -2 and dead.evidence["max_zero_fraction"] > 0.9
    assert "Lower the learning rate" in dead.advice and "sigmoid" not in dead.advice


def test_vanishing_gradients_without_dead_units_are_still_named():
    # The same run read without its dead layer: the gradient ratio alone is a vanishing gradient.
    alive = {e: [(n, g, m, s, min(z, 0.5)) for n, g, m, s, z in rows] for e, rows in DEAD_BC_LAYERS.items()}
    kinds = [f.kind for f in diagnose(recorded(DEAD_BC, alive, {"optimizer": "adam", "lr": 0.3}), study_best=0.974)]
    assert "vanishing_gradients" in kinds and "dead_relus" not in kinds, kinds


def test_a_trained_mlp_whose_units_died_is_not_told_its_gradients_vanish():
    from nntune.train import load_splits

    t = trained({"optimizer": "adam", "lr": 0.3, "epochs": 30}, load_splits("breast_cancer"))
    kinds = [f.kind for f in diagnose(t, study_best=0.974)]
    assert "dead_relus" in kinds and "vanishing_gradients" not in kinds, kinds
