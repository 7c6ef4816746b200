"""The curve diagnosis on real trials of the built-in trainer: the learning curves and layer
statistics of runs made to fit well, overfit, underfit, learn too slowly, saturate, stop after
one or two epochs, blow up, or wobble on a noisy validation split, either trained here (a few
seconds each on digits) or recorded from such runs; and the layer probe those runs rest on."""

from __future__ import annotations

from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, recorded, trained
from nntune.diagnose import diagnose
from nntune.trial import FrozenTrial, TrialState


# A 3-layer tanh MLP on digits, Adam at lr 1e-2, 30 epochs (seed 0): it fits the training
# split, ends at 95.5% on validation, its validation loss 25% above its epoch-5 minimum
# and drifting down, and its hidden tanh units trained towards their bounds.
TANH_CURVES = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (0.688, 0.2793, 0.8007, 0.922), (0.151, 0.2932, 0.9518, 0.9164), (0.07022, 0.2026, 0.9787, 0.9443),
    (0.02188, 0.207, 0.9981, 0.9499), (0.02005, 0.1879, 0.9954, 0.9554), (0.01216, 0.2301, 0.9972, 0.9499),
    (0.01543, 0.2345, 0.9963, 0.9415), (0.009419, 0.288, 0.9972, 0.9415), (0.00728, 0.2734, 0.9981, 0.9499),
    (0.008655, 0.276, 0.9972, 0.9387), (0.02307, 0.3136, 0.9944, 0.9331), (0.03249, 0.3037, 0.9898, 0.9554),
    (0.04532, 0.3353, 0.9861, 0.9387), (0.07076, 0.2749, 0.9741, 0.9359), (0.02982, 0.3378, 0.9898, 0.9331),
    (0.03467, 0.2314, 0.9926, 0.9387), (0.00935, 0.2451, 0.9981, 0.9443), (0.006545, 0.2713, 0.9981, 0.9359),
    (0.009918, 0.2515, 0.9981, 0.9471), (0.003706, 0.25, 0.9991, 0.9443), (0.0009927, 0.2605, 1.0, 0.9443),
    (0.0004893, 0.2438, 1.0, 0.9526), (0.0002613, 0.242, 1.0, 0.9471), (0.0002281, 0.2402, 1.0, 0.9499),
    (0.0002004, 0.239, 1.0, 0.9499), (0.0001815, 0.2373, 1.0, 0.9554), (0.0001664, 0.2364, 1.0, 0.9554),
    (0.0001538, 0.2362, 1.0, 0.9554), (0.0001439, 0.236, 1.0, 0.9554), (0.0001341, 0.2358, 1.0, 0.9554),
]
TANH_LAYERS = {  # epoch: (name, grad_norm, act_mean, act_std, act_zero_frac) per layer
    1: [('fc1', 0.2343, -0.002578, 0.4293, 0.0),
        ('fc2', 0.3224, -0.007024, 0.2359, 0.0),
        ('fc3', 0.332, -0.00208, 0.1432, 0.0),
        ('head', 0.3476, -0.01923, 0.09347, 0.0)],
    26: [('fc1', 0.001006, 0.0244, 0.7781, 0.0),
        ('fc2', 0.0005923, 0.02133, 0.9235, 0.0),
        ('fc3', 0.0005728, -0.009628, 0.9334, 0.0),
        ('head', 0.001005, -0.08637, 6.355, 0.0)],
    27: [('fc1', 0.0009141, 0.01066, 0.7894, 0.0),
        ('fc2', 0.0004919, 0.01475, 0.9256, 0.0),
        ('fc3', 0.0004719, -0.001309, 0.9395, 0.0),
        ('head', 0.00114, -0.2341, 6.386, 0.0)],
    28: [('fc1', 0.0006126, 0.007607, 0.7832, 0.0),
        ('fc2', 0.0003915, 0.002464, 0.9237, 0.0),
        ('fc3', 0.0004053, -0.001679, 0.9393, 0.0),
        ('head', 0.0009093, -0.08887, 6.334, 0.0)],
    29: [('fc1', 0.0008718, 0.001519, 0.7852, 0.0),
        ('fc2', 0.0005739, 0.007261, 0.9234, 0.0),
        ('fc3', 0.0006843, 0.003686, 0.94, 0.0),
        ('head', 0.001908, -0.14, 6.365, 0.0)],
    30: [('fc1', 0.0006539, 0.003983, 0.7903, 0.0),
        ('fc2', 0.0003783, 0.03048, 0.9254, 0.0),
        ('fc3', 0.0003917, 0.006971, 0.9424, 0.0),
        ('head', 0.0007015, -0.1563, 6.448, 0.0)],
}
# SGD at lr 10 on digits, trained as a member of a population stack (seed 0): the loss
# blew up within the first epoch, the second layer's ReLUs died, and it stayed at chance.
POP_CURVES = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (180600000000.0, 2.396, 0.1205, 0.1003), (2.375, 2.334, 0.09268, 0.1003), (2.397, 2.414, 0.08156, 0.1003),
    (2.395, 2.36, 0.09361, 0.1003), (2.382, 2.388, 0.1029, 0.1003), (2.383, 2.376, 0.09268, 0.09749),
    (2.403, 2.369, 0.09546, 0.1003), (2.39, 2.357, 0.08897, 0.1003), (2.402, 2.351, 0.1047, 0.1003),
    (2.366, 2.334, 0.1112, 0.1003), (2.38, 2.343, 0.08897, 0.1003), (2.358, 2.38, 0.09917, 0.1003),
]
POP_LAYERS = {  # epoch: (name, grad_norm, act_mean, act_std, act_zero_frac) per layer
    1: [('fc1', 0.2101, 0.2237, 0.3421, 0.4952),
        ('fc2', 0.3294, 0.08003, 0.1315, 0.5157),
        ('head', 0.3141, 0.004251, 0.09541, 0.0)],
    8: [('fc1', 0.0, 688800000.0, 3603000000.0, 0.4888),
        ('fc2', 0.0, 0.0, 0.0, 1.0),
        ('head', 0.1591, -0.009313, 0.3784, 0.0)],
    9: [('fc1', 0.0, 504300000.0, 2622000000.0, 0.4906),
        ('fc2', 0.0, 0.0, 0.0, 1.0),
        ('head', 0.1831, -0.009313, 0.3376, 0.0)],
    10: [('fc1', 0.0, 541500000.0, 2903000000.0, 0.511),
        ('fc2', 0.0, 0.0, 0.0, 1.0),
        ('head', 0.1294, -0.009313, 0.3056, 0.0)],
    11: [('fc1', 0.0, 617100000.0, 3202000000.0, 0.4843),
        ('fc2', 0.0, 0.0, 0.0, 1.0),
        ('head', 0.08593, -0.009313, 0.2671, 0.0)],
    12: [('fc1', 0.0, 478200000.0, 2418000000.0, 0.5795),
        ('fc2', 0.0, 0.0, 0.0, 1.0),
        ('head', 0.109, -0.009313, 0.293, 0.0)],
}

# The default MLP on digits left unnormalized (pixels 0..16), Adam at 1e-3, 15 epochs
# (seed 0): 97.2% on validation, its validation loss jumping 20-40% from epoch to epoch
# around 0.11 from epoch 9 on, last at 0.111 one epoch after a low of 0.087.
NOISY_CURVES = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (1.453, 0.597, 0.6163, 0.9109), (0.355, 0.2525, 0.9277, 0.9276), (0.173, 0.1917, 0.9564, 0.9415),
    (0.1208, 0.1655, 0.9713, 0.9554), (0.08135, 0.1573, 0.9815, 0.9554), (0.06356, 0.1399, 0.9861, 0.961),
    (0.05364, 0.1546, 0.9907, 0.9499), (0.04852, 0.147, 0.988, 0.9554), (0.03958, 0.09607, 0.9917, 0.9694),
    (0.02753, 0.1057, 0.9954, 0.9694), (0.01893, 0.1225, 0.9991, 0.9721), (0.0169, 0.1029, 0.9991, 0.9638),
    (0.01376, 0.1446, 0.9991, 0.9666), (0.01317, 0.08662, 0.9981, 0.9721), (0.01243, 0.1114, 0.9991, 0.9721),
]
# Digits cut to 200 training rows (task.train_size 200), 3 x 1024 units, Adam 1e-3, batch
# 32, early stopping with patience 3 (seed 0): stopped at epoch 7 of 100, its best at
# epoch 4, still at 0.3% vs 10.1% error; the study's best is at 93%.
EARLY_STOPPED = [
    (1.917, 1.028, 0.415, 0.805), (0.6173, 0.6784, 0.845, 0.7911), (0.1744, 0.4129, 0.945, 0.8747),
    (0.06669, 0.3215, 0.965, 0.9276), (0.0168, 0.3505, 0.995, 0.9025), (0.01009, 0.3862, 0.995, 0.8942),
    (0.002364, 0.4058, 1.0, 0.8997),
]


def kinds(t: FrozenTrial, **kw: Any) -> list[str]:
    return [f.kind for f in diagnose(t, **kw)]


def test_a_fitted_tanh_net_is_neither_saturated_nor_learning_too_slowly():
    found = diagnose(recorded(TANH_CURVES, TANH_LAYERS, {"activation": "tanh"}), study_best=0.972)
    names = [f.kind for f in found]
    # Its validation loss rose from 0.188 to 0.236 while the training loss fell to 1e-4.
    assert "overfitting" in names, found
    assert "lr_too_small" not in names and "saturated_activations" not in names, found


def test_a_loss_that_blew_up_within_the_first_epoch_is_a_learning_rate_too_large():
    found = diagnose(recorded(POP_CURVES, POP_LAYERS, {"activation": "relu", "lr": 10.0}), study_best=0.17)
    by_kind = {f.kind: f for f in found}
    assert "lr_too_large" in by_kind and "dead_relus" in by_kind, found
    assert by_kind["lr_too_large"].evidence["epoch"] == 1
    assert "epoch 1" in by_kind["lr_too_large"].summary and "1.806e+11" in by_kind["lr_too_large"].summary
    assert "blew up within an epoch" in by_kind["lr_too_large"].advice


def test_a_noisy_validation_loss_ending_one_epoch_after_a_lucky_low_is_not_overfitting():
    assert kinds(recorded(NOISY_CURVES, {}, {}), study_best=0.972) == []
    # The same curve whose last three epochs do climb 30% above its best stretch is.
    rising = NOISY_CURVES[:12] + [(0.012, 0.14, 0.9991, 0.9638), (0.011, 0.145, 0.9991, 0.9638),
                                  (0.010, 0.15, 0.9991, 0.9638)]
    assert kinds(recorded(rising, {}, {}), study_best=0.972) == ["overfitting"]


# ---------------------------------------------------------------- trained here



def test_an_early_stopped_trial_that_overfits_is_not_told_to_stop_earlier():
    found = diagnose(recorded(EARLY_STOPPED, {}, {"early_stopping": True, "patience": 3}), study_best=0.93)
    assert [f.kind for f in found] == ["overfitting"], found
    assert "early stopping" not in found[0].advice and "or use a smaller network, or collect" in found[0].advice
    assert found[0].summary.endswith("(with early stopping on)"), found[0].summary
    without = diagnose(recorded(EARLY_STOPPED, {}, {}), study_best=0.93)
    assert "stop earlier (early stopping)" in without[0].advice


@pytest.fixture(scope="module")
def digits() -> Any:
    yield from one_thread_digits()


@pytest.mark.parametrize("epochs", [1, 2])
def test_a_run_of_one_or_two_epochs_is_not_called_underfitting(digits, epochs):
    # After one epoch: 46% training error (scored while the weights still move) vs 23% on
    # validation; the network fits digits to 0% given 20 epochs.
    t = trained({"epochs": epochs}, digits)
    assert t.state == TrialState.COMPLETE
    assert kinds(t, study_best=0.972) == []


def test_a_healthy_run_has_no_finding(digits):
    t = trained({"epochs": 20, "lr": 1e-3}, digits)
    assert t.value is not None and t.value > 0.95
    assert kinds(t, study_best=t.value) == []


def test_sigmoid_layers_initialized_with_std_1_are_saturated(digits):
    # The notes' picture: with std-1 weights sigmoid outputs pile up at 0 and 1.
    t = trained({"layers": 8, "units": 64, "activation": "sigmoid", "init": "normal", "init_std": 1.0,
                 "epochs": 3, "lr": 1e-3}, digits)
    found = diagnose(t, study_best=0.972)
    saturated = [f for f in found if f.kind == "saturated_activations"]
    assert saturated and saturated[0].evidence["layers"] >= 6, found
    assert "std 1" in saturated[0].advice


def test_a_loss_blown_up_by_a_large_initialization_names_it_beside_the_learning_rate(digits):
    # lr 1e-3 is no large rate: the std-0.5 weights of an 8-layer ReLU stack blow the loss up.
    t = trained({"layers": 8, "units": 128, "init": "normal", "init_std": 0.5, "optimizer": "sgd",
                 "lr": 1e-3, "epochs": 2}, digits)
    assert t.state == TrialState.DIVERGED
    found = diagnose(t, study_best=0.972)
    assert [f.kind for f in found] == ["diverged"], found
    assert "initialized too large" in found[0].advice and "learning rate" in found[0].advice


def test_a_learning_rate_of_1e_6_is_too_small_and_not_underfitting(digits):
    t = trained({"lr": 1e-6, "epochs": 12}, digits)
    found = diagnose(t, study_best=0.972)
    assert [f.kind for f in found] == ["lr_too_small"], found
    # Adam's loss moved 0.2% in 12 epochs: its good rate, 1e-3, is three orders of magnitude up.
    assert "raise it by about 3 orders of magnitude" in found[0].advice, found[0].advice


def test_underfitting_under_heavy_weight_decay_says_to_weaken_it(digits):
    t = trained({"lr": 1e-3, "epochs": 8, "weight_decay": 1.0}, digits)
    found = {f.kind: f for f in diagnose(t, study_best=0.972)}
    assert "underfitting" in found, found
    assert "weight_decay 1" in found["underfitting"].summary
    assert "less weight decay" in found["underfitting"].advice


def test_a_healthy_trial_still_running_is_not_told_its_learning_rate_is_too_small(digits):
    import dataclasses

    from nntune.panda_view import view_data

    # Five epochs into a babysat run of 40 at Adam's default rate: the loss falls fast, as it should.
    t = trained({"epochs": 5, "lr": 1e-3}, digits)
    assert kinds(dataclasses.replace(t, state=TrialState.RUNNING)) == []
    live = view_data("panda", 0, t.metrics, metric="accuracy", direction="maximize", epochs=40, changes=[])
    assert live.findings == []


@pytest.mark.parametrize("activation", ["Hardtanh", "Softsign", "Hardsigmoid"])
def test_bounded_activations_the_diagnosis_knows_are_the_ones_the_probe_measures(activation):
    import torch
    from torch import nn

    from nntune.diagnose_layers import BOUNDED_ACTIVATIONS
    from nntune.train.stats import LayerProbe

    assert activation.lower() in BOUNDED_ACTIVATIONS
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), getattr(nn, activation)(), nn.Linear(16, 2))
    probe = LayerProbe(model)
    with probe.capture():
        loss = model(10 * torch.randn(64, 8)).sum()  # pre-activations far outside the bounds
    loss.backward()
    probe.grad_norms()
    hidden = probe.records()[0]
    lo, hi = BOUNDED_ACTIVATIONS[activation.lower()]
    # The layer's record is its activation's output, which stays within the activation's range.
    assert lo <= hidden["act_mean"] <= hi and hidden["act_std"] <= (hi - lo) / 2


@pytest.mark.parametrize("lr", [1.0, 0.1])
def test_a_learning_rate_too_large_is_not_called_overfitting(digits, lr):
    # Adam at 1000x (100x) its default rate: training error 84% (34%) against 82% (38%) on
    # validation, both high and close, while the validation loss swings up (2.2 -> 24):
    # nothing was memorized, the steps overshoot, and regularizing would be the wrong cure.
    t = trained({"optimizer": "adam", "lr": lr, "epochs": 10}, digits)
    found = diagnose(t, study_best=0.972)
    assert "overfitting" not in [f.kind for f in found], found
    assert "underfitting" not in [f.kind for f in found], found
    assert any("lower the learning rate" in f.advice.lower() for f in found), found


def test_gradients_exploded_by_the_steps_mean_high_errors_are_no_underfitting(digits):
    # A tanh MLP at Adam lr 5: its gradient norms spike after a normal start (0.58 -> 43)
    # while both errors sit near 25%; a bigger network would not help, a smaller rate would.
    t = trained({"optimizer": "adam", "lr": 5.0, "epochs": 10, "activation": "tanh"}, digits)
    found = diagnose(t, study_best=0.972)
    assert not {"underfitting", "overfitting"} & {f.kind for f in found}, found
    assert any(f.kind in ("lr_too_large", "exploding_gradients", "diverged") for f in found), found


def test_overfitting_advice_follows_the_notes_on_dropout_and_lambda(digits):
    # A 6-hidden-layer MLP on 300 digits keeps overfitting under light dropout and decay:
    # the finding says which of them to raise (dropout towards 0.5, as the notes do).
    from nntune.train.splits import Splits

    few = Splits(digits.x_train[:300], digits.y_train[:300], digits.x_val, digits.y_val, digits.test,
                 digits.task_type, digits.n_classes, info=digits.info)
    t = trained({"optimizer": "adam", "lr": 1e-3, "layers": 6, "units": 100, "epochs": 30,
                 "dropout": 0.1, "weight_decay": 1e-5}, few)
    found = {f.kind: f for f in diagnose(t, study_best=0.972)}
    assert "overfitting" in found, found
    summary = found["overfitting"].summary
    assert "despite regularization (weight_decay 1e-05, dropout 0.1)" in summary, summary
    assert "raise weight_decay and dropout towards 0.5" in summary, summary
    assert "start at p 0.3, raise it towards 0.5" in found["overfitting"].advice


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_weights_started_at_zero_are_named_as_the_cause(digits, activation):
    # The notes: zero weights keep every unit of a layer identical, so the network never
    # learns. The diagnosis names that, not a network too small or ReLUs that died (a tanh
    # layer of zeros has no ReLU to die).
    t = trained({"init": "zeros", "activation": activation, "optimizer": "sgd", "lr": 0.1, "epochs": 8}, digits)
    found = diagnose(t, study_best=0.972)
    kinds_found = [f.kind for f in found]
    assert kinds_found[0] == "symmetric_weights", found
    assert not {"underfitting", "dead_relus", "lr_too_small"} & set(kinds_found), found
    assert "He for ReLU, Xavier for sigmoid/tanh" in found[0].advice


def test_a_logistic_regression_from_zero_weights_is_not_called_symmetric(digits):
    t = trained({"init": "zeros", "layers": 0, "optimizer": "sgd", "lr": 0.1, "epochs": 8}, digits)
    assert "symmetric_weights" not in kinds(t, study_best=0.972)


def test_a_deep_sigmoid_stack_at_chance_is_told_its_gradients_vanish_not_to_grow(digits):
    # Ten sigmoid layers: the first layer's gradient is 1e-8 of the last's and the network
    # sits at chance. "A bigger network (more layers)" would deepen the problem.
    t = trained({"layers": 10, "units": 64, "activation": "sigmoid", "optimizer": "sgd", "lr": 0.01,
                 "epochs": 8}, digits)
    found = diagnose(t, study_best=0.972)
    assert "underfitting" not in [f.kind for f in found], found
    vanishing = next(f for f in found if f.kind == "vanishing_gradients")
    assert "the vanishing gradients, not the network's size, hold it back" in vanishing.summary
    assert vanishing.evidence["train_error"] > 0.8
