"""Exploding gradients as real ReLU MLPs show them: every layer's gradient norm orders of
magnitude above a healthy network's, from the first probe (a too-large initialization,
unnormalized inputs) or after a normal start (a learning rate too large), with or without
gradient clipping; recorded from runs of the built-in trainer on digits (seed 0), and two
such runs trained here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, trained
from nntune.diagnose import diagnose
from nntune.diagnose_layers import GRAD_NORM_EXPLODED, gradient_peak
from nntune.trial import FrozenTrial, TrialState

Curve = tuple[float, float, float, float]  # train_loss, val_loss, train_accuracy, val_accuracy
Grads = tuple[str, float, float, float]  # largest layer, fc1's, the largest, the head's gradient norm

# An 8-layer ReLU MLP (128 units) initialized with std 0.2, SGD at lr 1e-3, gradients clipped
# to norm 1: the clip keeps the loss from blowing up, so it crawls down from 51 (chance is 2.3).
CLIPPED_CURVES: list[Curve] = [
    (51.12, 51.85, 0.1613, 0.156), (48.2, 49.26, 0.1696, 0.1643), (45.56, 46.87, 0.1705, 0.1643),
    (43.21, 44.69, 0.1677, 0.1671), (41.11, 42.61, 0.1687, 0.1699), (39.07, 40.61, 0.1733, 0.1783),
    (37.14, 38.79, 0.1779, 0.1866), (35.35, 37.02, 0.1798, 0.1866), (33.68, 35.37, 0.1816, 0.1922),
    (32.13, 33.88, 0.1872, 0.1894), (30.67, 32.42, 0.1909, 0.1922), (29.32, 31.04, 0.1918, 0.1894),
    (28.08, 29.74, 0.1946, 0.1978), (26.93, 28.5, 0.1918, 0.1978), (25.86, 27.38, 0.1956, 0.2033)]
CLIPPED_GRADS: list[Grads] = [
    ('head', 57.5, 130.0, 130.0), ('head', 49.3, 108.0, 108.0), ('fc8', 48.2, 86.1, 85.6), ('fc5', 59.4, 95.8, 61.0),
    ('head', 53.1, 114.0, 114.0), ('head', 56.0, 91.2, 91.2), ('head', 67.8, 113.0, 113.0),
    ('fc8', 50.8, 82.7, 80.6), ('head', 49.9, 87.8, 87.8), ('head', 48.3, 105.0, 105.0),
    ('head', 53.6, 81.7, 81.7), ('head', 49.1, 91.5, 91.5), ('head', 45.5, 58.7, 58.7), ('fc5', 65.1, 85.1, 84.8),
    ('fc8', 43.6, 77.5, 75.6)]
# A 6-layer ReLU MLP, Momentum at lr 0.5, gradients clipped to norm 1: normal gradients at the
# start (0.13), then the loss oscillates and the gradients spike to 24 (epoch 9) and 20.
SPIKE_CURVES: list[Curve] = [
    (2.313, 2.305, 0.09639, 0.1003), (2.212, 1.9, 0.2502, 0.351), (1.505, 1.109, 0.4458, 0.61),
    (1.102, 1.013, 0.6562, 0.7382), (1.062, 0.8457, 0.7164, 0.7939), (0.8865, 1.627, 0.759, 0.7521),
    (0.7962, 2.281, 0.81, 0.7382), (0.8791, 1.329, 0.8721, 0.7911), (0.9438, 1.895, 0.8777, 0.8162),
    (1.099, 1.374, 0.8628, 0.8942), (1.017, 1.317, 0.8499, 0.8607), (1.304, 0.5588, 0.8665, 0.883),
    (1.157, 2.444, 0.8906, 0.6713), (0.8988, 1.057, 0.8165, 0.7577), (1.543, 1.501, 0.7878, 0.7075),
    (4.304, 0.9181, 0.6812, 0.688), (1.032, 1.982, 0.7563, 0.6518), (1.664, 2.116, 0.7488, 0.6574),
    (3.477, 0.9299, 0.7108, 0.766), (1.646, 1.111, 0.835, 0.8719)]
SPIKE_GRADS: list[Grads] = [
    ('head', 0.00631, 0.13, 0.13), ('fc6', 0.0142, 0.0511, 0.0447), ('head', 1.42, 3.37, 3.37),
    ('fc5', 0.576, 0.8, 0.534), ('fc1', 1.44, 1.44, 0.569), ('fc4', 0.396, 0.471, 0.451), ('fc3', 0.639, 1.57, 0.562),
    ('fc2', 1.96, 2.66, 2.14), ('head', 0.761, 24.2, 24.2), ('fc5', 1.39, 3.3, 0.328), ('fc1', 0.517, 0.517, 0.0832),
    ('fc1', 0.972, 0.972, 0.167), ('fc5', 0.351, 0.487, 0.214), ('head', 2.68, 6.0, 6.0), ('fc2', 0.535, 0.839, 0.19),
    ('fc2', 11.1, 17.1, 1.93), ('fc3', 1.82, 1.94, 0.362), ('fc3', 0.44, 3.97, 0.542), ('fc6', 0.703, 19.9, 8.82),
    ('fc2', 0.351, 0.663, 0.334)]


def layer_rows(g: Grads) -> list[dict[str, Any]]:
    """fc1, the layer with the largest norm (when another) and the head, with ReLU-like statistics."""
    largest, first, top, head = g
    named = {"fc1": first, largest: top, "head": head}
    return [{"name": n, "grad_norm": v, "act_mean": 0.3, "act_std": 0.6, "act_zero_frac": 0.5 if n != "head" else 0.0}
            for n, v in named.items()]


def recorded(curves: Sequence[Curve], grads: Sequence[Grads], params: dict[str, Any]) -> FrozenTrial:
    records = [{"step": e, "epoch": e, "train_loss": tl, "val_loss": vl, "train_accuracy": ta, "val_accuracy": va,
                "value": va, "layers": layer_rows(g)}
               for e, ((tl, vl, ta, va), g) in enumerate(zip(curves, grads), start=1)]
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params=params, value=curves[-1][3],
                       intermediate_values={r["epoch"]: r["value"] for r in records}, metrics=records)


def by_kind(t: FrozenTrial) -> dict[str, Any]:
    return {f.kind: f for f in diagnose(t, study_best=0.972)}


def test_largest_gradient_norms_of_healthy_runs_stay_below_the_threshold():
    # Largest layer norm per epoch: a 6-layer batch-norm MLP on Fashion-MNIST (7.4 at the first
    # probe, the highest of the healthy runs) and an 8-layer He-initialized one on digits (4.3).
    assert gradient_peak([(1, "fc1", 7.44), (2, "fc1", 1.69), (3, "fc1", 1.41)]) is None
    assert gradient_peak([(e, "head", g) for e, g in enumerate([2.85, 4.26, 0.73, 0.75, 1.78], start=1)]) is None
    assert gradient_peak([]) is None
    assert 7.44 < GRAD_NORM_EXPLODED < 77.6  # the least exploded first probe measured (std 0.2, 6 layers)


def test_gradient_peak_tells_a_start_explosion_from_a_later_spike():
    start = gradient_peak([(e, g[0], g[2]) for e, g in enumerate(CLIPPED_GRADS, start=1)])
    assert start is not None and start.at_start and start.norm == 130.0 and start.epoch == 1
    assert start.last == pytest.approx(81.7)
    later = gradient_peak([(e, g[0], g[2]) for e, g in enumerate(SPIKE_GRADS, start=1)])
    assert later is not None and not later.at_start
    assert (later.epoch, later.layer, later.norm, later.start) == (9, "head", 24.2, 0.13)


def test_clipped_exploding_gradients_are_named_and_not_a_learning_rate_too_small():
    # Before: "lr_too_small" (the clipped loss crawls down steadily), which advised a larger rate.
    found = by_kind(recorded(CLIPPED_CURVES, CLIPPED_GRADS, {"init": "normal", "init_std": 0.2, "grad_clip": 1.0}))
    assert list(found) == ["exploding_gradients"], found
    words = found["exploding_gradients"].summary
    assert "already 130 in the first epoch, before any update" in words
    assert "not the learning rate" in words and "clipped to 1" in words
    assert found["exploding_gradients"].evidence["first_grad_norm"] == 130.0
    assert "initialize weights smaller" in found["exploding_gradients"].advice


def test_a_spike_after_a_normal_start_under_a_rate_too_large_is_the_rate_s_finding():
    found = by_kind(recorded(SPIKE_CURVES, SPIKE_GRADS, {"optimizer": "momentum", "lr": 0.5, "grad_clip": 1.0}))
    assert "exploding_gradients" not in found, found
    rate = found["lr_too_large"]
    assert "spiked to 24.2 (head, epoch 9) from 0.13 before any update" in rate.summary
    assert rate.evidence["peak_grad_norm"] == 24.2


def test_a_spike_after_a_normal_start_with_a_calm_loss_is_exploding_gradients():
    # The same gradients under a loss that only falls (clipping kept it calm): nothing blames the rate.
    calm = [(2.3 * 0.85**e, 2.3 * 0.86**e, min(0.99, 0.3 + 0.04 * e), min(0.97, 0.3 + 0.04 * e))
            for e in range(len(SPIKE_GRADS))]
    found = by_kind(recorded(calm, SPIKE_GRADS, {}))
    assert "exploding_gradients" in found and "lr_too_large" not in found, found
    assert "jumped to 24.2 at epoch 9, from 0.13 before any update" in found["exploding_gradients"].summary


# ---------------------------------------------------------------- trained here


@pytest.fixture(scope="module")
def digits() -> Any:
    yield from one_thread_digits()


def test_a_real_clipped_run_with_a_large_initialization_has_exploding_gradients(digits):
    t = trained({"layers": 8, "units": 128, "init": "normal", "init_std": 0.2, "optimizer": "sgd", "lr": 1e-3,
                 "grad_clip": 1.0, "epochs": 4}, digits)
    found = by_kind(t)
    assert "exploding_gradients" in found and "lr_too_small" not in found, found
    assert found["exploding_gradients"].evidence["first_grad_norm"] > 50


def test_a_real_deep_batch_norm_run_has_no_exploding_gradients(digits):
    t = trained({"layers": 6, "batchnorm": True, "lr": 1e-3, "epochs": 5}, digits)
    assert "exploding_gradients" not in by_kind(t)


def test_a_resumed_run_s_first_record_is_not_called_before_any_update():
    # Records from epoch 6 on (a run resumed from a checkpoint): its first probe follows updates.
    t = recorded(CLIPPED_CURVES[5:], CLIPPED_GRADS[5:], {"grad_clip": 1.0})
    for e, rec in enumerate(t.metrics, start=6):
        rec["epoch"] = rec["step"] = e
    found = by_kind(t)
    words = found["exploding_gradients"].summary
    assert "before any update" not in words and "already 91.2 at epoch 6, the first recorded" in words, words
    assert "jumped" not in words
