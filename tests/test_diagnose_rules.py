"""The fit rules of nntune.diagnose_rules on a recorded real run: an error gap under steps
too large is overfitting only where training fitted as well as the best trial generalizes."""

from __future__ import annotations

from _diagnose_runs import recorded
from nntune.diagnose import diagnose
from nntune.trial import FrozenTrial

# Adam at lr 1 on diabetes (RMSE in the target's units), the default MLP, 50 epochs (seed 0):
# the loss blew up to 1.3e8 in the first epoch and the gradients to 9e5 at epoch 2, fc2's
# units all died, and it ended at RMSE 116 on its training batches and 4526 on validation,
# where the best trial of its study reaches 58.7.
BLOWN_UP = [  # per epoch: train_loss, val_loss, train_rmse, val_rmse
    (1.322e+08, 1.49e+06, 8.894e+05, 9.442e+04), (1.993e+06, 1.394e+06, 1.092e+05, 9.132e+04),
    (3.587e+05, 2.447e+04, 4.633e+04, 1.21e+04), (4.417e+04, 3221, 1.626e+04, 4391), (2013, 1713, 3471, 3201),
    (465.8, 2082, 1670, 3530), (349, 2509, 1445, 3875), (250.2, 2829, 1224, 4114), (113.6, 3045, 824.5, 4268),
    (49.49, 3185, 544.2, 4366), (17.08, 3276, 319.7, 4427), (10.33, 3332, 248.6, 4465), (8.445, 3367, 224.8, 4489),
    (7.101, 3389, 206.1, 4503), (6.555, 3402, 198.1, 4512), (5.601, 3411, 183.1, 4518), (5.187, 3416, 176.2, 4521),
    (4.813, 3418, 169.7, 4523), (4.418, 3420, 162.6, 4524), (4.096, 3421, 156.6, 4525), (3.795, 3422, 150.7, 4525),
    (3.619, 3422, 147.2, 4525), (3.4, 3422, 142.6, 4525), (3.23, 3422, 139, 4526), (3.079, 3422, 135.7, 4526),
    (2.946, 3422, 132.8, 4525), (2.692, 3422, 126.9, 4525), (2.617, 3422, 125.1, 4525), (2.554, 3422, 123.6, 4525),
    (2.528, 3422, 123, 4525), (2.498, 3422, 122.3, 4525), (2.478, 3422, 121.8, 4525), (2.461, 3422, 121.4, 4525),
    (2.446, 3422, 121, 4525), (2.434, 3422, 120.7, 4525), (2.42, 3422, 120.3, 4525), (2.407, 3422, 120, 4525),
    (2.395, 3422, 119.7, 4525), (2.384, 3422, 119.4, 4525), (2.373, 3422, 119.2, 4525), (2.361, 3422, 118.9, 4526),
    (2.349, 3422, 118.6, 4526), (2.337, 3423, 118.3, 4526), (2.325, 3423, 118, 4526), (2.313, 3423, 117.7, 4526),
    (2.301, 3423, 117.3, 4526), (2.289, 3423, 117, 4526), (2.277, 3423, 116.7, 4526), (2.265, 3423, 116.4, 4526),
    (2.253, 3423, 116.1, 4526),
]
BLOWN_UP_LAYERS = {  # epoch: (name, grad_norm, act_mean, act_std, act_zero_frac) per layer
    1: [('fc1', 0.4226, 0.2589, 0.383, 0.489), ('fc2', 1.634, 0.114, 0.1635, 0.4634), ('head', 1.411, 0.03274, 0.07651, 0.0)],
    2: [('fc1', 4.851e5, 0.0, 1.0, 0.6266), ('fc2', 3.055e5, 0.0, 1.0, 0.8477), ('head', 9.17e5, 0.0, 1.0, 0.0)],
    46: [('fc1', 0.0, 10.12, 16.67, 0.5594), ('fc2', 0.0, 0.0, 0.0, 1.0), ('head', 2.412, -1.142, 0.0, 0.0)],
    47: [('fc1', 0.1335, 9.913, 15.94, 0.5742), ('fc2', 0.05595, 3.689e-06, 0.0003339, 0.9999),
         ('head', 2.607, -1.135, 0.01585, 0.0)],
    48: [('fc1', 0.0, 9.072, 15.23, 0.5741), ('fc2', 0.0, 0.0, 0.0, 1.0), ('head', 2.211, -1.132, 0.0, 0.0)],
    49: [('fc1', 0.0, 11.97, 18.92, 0.5521), ('fc2', 0.0, 0.0, 0.0, 1.0), ('head', 2.36, -1.126, 0.0, 0.0)],
    50: [('fc1', 0.0, 9.311, 15.62, 0.5642), ('fc2', 0.0, 0.0, 0.0, 1.0), ('head', 1.906, -1.121, 0.0, 0.0)],
}


def blown_up(curves: list[tuple[float, float, float, float]] = BLOWN_UP) -> FrozenTrial:
    return recorded(curves, BLOWN_UP_LAYERS, {"lr": 1.0}, metric="rmse")


def test_a_blown_up_run_whose_training_error_is_twice_the_best_is_not_overfitting():
    found = diagnose(blown_up(), study_best=58.67, direction="minimize", metric="rmse")
    kinds = [f.kind for f in found]
    assert "overfitting" not in kinds, found
    # The steps made the gradients explode after a normal start: the rate is what to lower.
    exploding = next(f for f in found if f.kind == "exploding_gradients")
    assert "the updates grew the weights" in exploding.summary and "lower the learning rate" in exploding.advice


def test_a_gap_under_unstable_steps_still_counts_where_training_fitted_as_well_as_the_best():
    # The same run, had its training batches reached RMSE 20 (under the best trial's 58.7):
    # it memorized them, whatever else its steps did.
    fitted = [(t, v, tr if i < 40 else 20.0, va) for i, (t, v, tr, va) in enumerate(BLOWN_UP)]
    kinds = [f.kind for f in diagnose(blown_up(fitted), study_best=58.67, direction="minimize", metric="rmse")]
    assert "overfitting" in kinds, kinds
