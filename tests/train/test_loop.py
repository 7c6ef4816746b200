"""fit and evaluate: records, reproducibility, stopping, divergence, checkpoints and resume."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from nntune.exceptions import ConfigError, TrialDiverged
from nntune.train.loop import channels_last, evaluate, fit, predict
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]


def without_times(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "epoch_time"} for r in history]


def val_accuracy(model: torch.nn.Module, splits: Splits) -> float:
    return evaluate(model, splits.x_val, splits.y_val, task_type="classification", metrics=["accuracy"], n_classes=10)[
        "accuracy"
    ]


def test_records_hold_every_key_and_per_layer_statistics(digits: Splits, fast: Params) -> None:
    seen: list[tuple[int, dict[str, Any]]] = []
    result = fit(fast(epochs=2, layers=2, units=[32, 16]), digits, report=lambda e, r: seen.append((e, r)) or False)
    assert [e for e, _ in seen] == [1, 2] and [r for _, r in seen] == result.history
    steps_per_epoch = math.ceil(len(digits.y_train) / 128)
    for epoch, record in enumerate(result.history, start=1):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "value", "lr", "epoch_time"):
            assert isinstance(record[key], float) and math.isfinite(record[key]), key
        assert record["epoch"] == epoch and record["iterations"] == epoch * steps_per_epoch
        assert record["value"] == record["val_accuracy"]
        assert [layer["name"] for layer in record["layers"]] == ["fc1", "fc2", "head"]
        for layer in record["layers"]:
            assert set(layer) == {"name", "grad_norm", "act_mean", "act_std", "act_zero_frac"}
            assert layer["grad_norm"] > 0 and layer["act_std"] > 0
        # ReLU outputs: non-negative with some exact zeros; the head's logits are not clipped.
        assert record["layers"][0]["act_mean"] > 0 and 0 < record["layers"][0]["act_zero_frac"] < 1
        assert record["layers"][2]["act_zero_frac"] == 0
        json.dumps(record)
    assert result.epochs == 2 and result.iterations == 2 * steps_per_epoch
    assert result.summary[-1]["name"] == "total"
    assert not result.model.training


def test_fit_never_opens_the_test_split(digits: Splits, fast: Params) -> None:
    fit(fast(epochs=1), digits)
    assert digits.test.openings == []


def test_same_seed_same_history_other_seed_other_history(digits: Splits, fast: Params) -> None:
    params = fast(dropout=0.2, init="he_normal")
    first = fit(params, digits, seed=3)
    again = fit(params, digits, seed=3)
    other = fit(params, digits, seed=4)
    assert without_times(first.history) == without_times(again.history)
    assert without_times(first.history) != without_times(other.history)
    for a, b in zip(first.model.parameters(), again.model.parameters()):
        assert torch.equal(a, b)


def test_report_returning_true_stops_fit(digits: Splits, fast: Params) -> None:
    result = fit(fast(epochs=10), digits, report=lambda epoch, _record: epoch == 2)
    assert result.stopped_by_report and not result.stopped_early
    assert len(result.history) == 2 and result.epochs == 2


def test_early_stopping_restores_the_best_epoch(digits: Splits, fast: Params) -> None:
    # min_delta 0.5 makes every epoch after the first "no better", so epoch 1 stays the best.
    params = fast(epochs=10, lr=3e-3, early_stopping=True, patience=2, min_delta=0.5)
    result = fit(params, digits)
    assert result.stopped_early and result.epochs == 3 and result.best_epoch == 1
    assert result.best_value == result.history[0]["val_accuracy"]
    assert val_accuracy(result.model, digits) == pytest.approx(result.history[0]["val_accuracy"])
    assert result.history[-1]["val_accuracy"] != result.history[0]["val_accuracy"]


def test_early_stopping_ends_at_the_metrics_bound_with_the_same_weights(fast: Params) -> None:
    from nntune.train import load_splits

    splits = load_splits("breast_cancer", split=[0.6, 0.2, 0.2], seed=0)
    params = fast(epochs=30, lr=1e-2, layers=2, units=128, batch_size=32, early_stopping=True, patience=20)
    full = fit({**params, "early_stopping": False}, splits, metric="recall", seed=3)
    first = next(r["epoch"] for r in full.history if r["val_recall"] == 1.0)  # recall 1.0: no miss
    assert first < 10
    result = fit(params, splits, metric="recall", seed=3)
    # Patience would have waited 20 more epochs for a recall above 1.0.
    assert result.stopped_early and result.epochs == first == result.best_epoch and result.best_value == 1.0
    assert [r["val_loss"] for r in result.history] == [r["val_loss"] for r in full.history[:first]]


def test_best_epoch_without_early_stopping_keeps_final_weights(digits: Splits, fast: Params) -> None:
    result = fit(fast(epochs=3), digits)
    best = max(range(3), key=lambda i: result.history[i]["val_accuracy"])
    assert result.best_epoch == best + 1
    assert val_accuracy(result.model, digits) == pytest.approx(result.history[-1]["val_accuracy"])


def test_nan_loss_raises_trial_diverged_with_the_epoch(digits: Splits, fast: Params) -> None:
    with pytest.raises(TrialDiverged) as err:
        fit(fast(optimizer="sgd", lr=1e6), digits)
    assert err.value.epoch == 1


def test_bad_values_are_config_errors(digits: Splits, fast: Params) -> None:
    for params, field in (
        (fast(loss="hinge"), "loss"),
        (fast(batch_size=0), "batch_size"),
        (fast(epochs=0), "epochs"),
        (fast(lr_schedule="triangle"), "lr_schedule"),
    ):
        with pytest.raises(ConfigError) as err:
            fit(params, digits)
        assert err.value.field == field
    with pytest.raises(ConfigError, match="metric"):
        fit(fast(), digits, metric="mae")


def test_batch_size_one_and_full(digits: Splits, fast: Params) -> None:
    full = fit(fast(epochs=2, batch_size="full"), digits)
    assert [r["iterations"] for r in full.history] == [1, 2]
    small = dataclasses.replace(digits, x_train=digits.x_train[:50], y_train=digits.y_train[:50])
    single = fit(fast(epochs=1, batch_size=1), small)
    assert single.iterations == 50


def test_augment_sees_every_training_batch(digits: Splits, fast: Params) -> None:
    sizes: list[int] = []

    def augment(x: torch.Tensor) -> torch.Tensor:
        sizes.append(len(x))
        return x + 0.01

    fit(fast(epochs=1), digits, augment=augment)
    assert sum(sizes) == len(digits.y_train)


def test_eval_transform_resizes_validation_batches_like_the_training_ones(digits_images: Splits) -> None:
    """Training batches are enlarged by the augmentation (as a random 224x224 crop of a
    32x32 image is); validation batches get the deterministic resize, batch by batch, and
    never larger than a training batch. Without it the CNN's dense head would not fit."""
    import torch.nn.functional as F

    def grow(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(12, 12), mode="bilinear", align_corners=False)

    seen: list[tuple[int, ...]] = []

    def eval_grow(x: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(x.shape))
        return grow(x)

    params = {"model": "cnn", "conv_layers": 1, "filters": 4, "units": 8, "epochs": 1, "batch_size": 50, "lr": 3e-3}
    result = fit(params, digits_images, augment=grow, eval_transform=eval_grow)
    assert seen[0][0] == 1  # one image tells fit the model's input size
    seen = seen[1:]
    assert sum(shape[0] for shape in seen) == len(digits_images.y_val)
    assert max(shape[0] for shape in seen) == 50 and all(shape[1:] == (1, 8, 8) for shape in seen)
    metrics = evaluate(result.model, digits_images.x_val, digits_images.y_val, task_type="classification",
                       metrics=["accuracy"], n_classes=10, transform=grow)
    assert metrics["accuracy"] == pytest.approx(result.history[-1]["val_accuracy"])
    with pytest.raises(RuntimeError):  # the 8x8 batches alone do not fit the 12x12 model
        fit(params, digits_images, augment=grow)


def test_cnn_trains_with_named_layer_statistics(digits_images: Splits) -> None:
    params = {"model": "cnn", "conv_layers": 2, "filters": 4, "units": 16, "batchnorm": True, "dropout": 0.1,
              "epochs": 2, "batch_size": 64, "lr": 3e-3}
    result = fit(params, digits_images)
    assert [layer["name"] for layer in result.history[-1]["layers"]] == ["conv1", "conv2", "fc", "head"]
    assert result.history[-1]["val_accuracy"] > 0.5


def test_regression_metrics_are_in_the_targets_units(diabetes: Splits) -> None:
    params = {"layers": 1, "units": 16, "epochs": 5, "batch_size": 32, "lr": 1e-2, "loss": "huber"}
    result = fit(params, diabetes, metric="mae")
    record = result.history[-1]
    # Diabetes targets span about 25..346; a standardized-unit MAE would be below 1.
    assert 20 < record["val_mae"] < 100 and record["value"] == record["val_mae"]
    scores = evaluate(
        result.model, diabetes.x_val, diabetes.y_val, task_type="regression", metrics=["mae", "rmse", "r2"],
        target_mean=diabetes.target_mean, target_std=diabetes.target_std,
    )
    assert scores["mae"] == pytest.approx(record["val_mae"], rel=1e-5)
    assert scores["rmse"] >= scores["mae"] and "confusion_matrix" not in scores


def test_checkpoint_is_written_atomically_and_loads_weights_only(
    digits: Splits, fast: Params, tmp_path: Path
) -> None:
    path = tmp_path / "run" / "ckpt.pt"
    fit(fast(epochs=2, lr_schedule="step", lr_step_epochs=1), digits, checkpoint_path=path)
    state = torch.load(path, weights_only=True)
    assert {"model", "optimizer", "scheduler", "epoch", "iterations", "params"} <= set(state)
    assert state["epoch"] == 2 and state["params"]["lr"] == 1e-2
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt.pt"]


def test_resume_applies_new_hyperparameters_and_continues(digits: Splits, fast: Params, tmp_path: Path) -> None:
    first = tmp_path / "first.pt"
    params = fast(epochs=2, optimizer="momentum", lr=0.05, momentum=0.9, weight_decay=1e-4, dropout=0.1)
    done = fit(params, digits, checkpoint_path=first)
    changed = {**params, "epochs": 4, "lr": 0.01, "momentum": 0.5, "weight_decay": 1e-3, "dropout": 0.3}
    second = tmp_path / "second.pt"
    result = fit(changed, digits, resume_from=first, checkpoint_path=second)
    assert [r["epoch"] for r in result.history] == [3, 4]
    assert result.history[0]["iterations"] == done.iterations + done.iterations // 2
    assert [r["lr"] for r in result.history] == [0.01, 0.01]
    groups = torch.load(second, weights_only=True)["optimizer"]["param_groups"]
    assert {g["lr"] for g in groups} == {0.01} and {g["momentum"] for g in groups} == {0.5}
    assert {g["weight_decay"] for g in groups} == {0.0, 1e-3}  # biases are never decayed
    assert {m.p for m in result.model.modules() if isinstance(m, torch.nn.Dropout)} == {0.3}


def test_resume_with_unchanged_params_equals_one_uninterrupted_run(
    digits: Splits, fast: Params, tmp_path: Path
) -> None:
    params = fast(epochs=4, dropout=0.2, lr_schedule="step", lr_step_epochs=1, lr_gamma=0.5)
    whole = fit(params, digits)
    path = tmp_path / "half.pt"
    fit({**params, "epochs": 2}, digits, checkpoint_path=path)
    rest = fit(params, digits, resume_from=path)
    assert without_times(rest.history) == without_times(whole.history[2:])


def test_resume_with_a_new_lr_rescales_the_schedule(digits: Splits, fast: Params, tmp_path: Path) -> None:
    params = fast(epochs=2, lr=0.01, lr_schedule="step", lr_step_epochs=1, lr_gamma=0.5)
    path = tmp_path / "ckpt.pt"
    fit(params, digits, checkpoint_path=path)
    rest = fit({**params, "epochs": 4, "lr": 0.02}, digits, resume_from=path)
    assert [r["lr"] for r in rest.history] == pytest.approx([0.02 * 0.25, 0.02 * 0.125])


def test_digits_mlp_reaches_95_percent(digits: Splits) -> None:
    params = {"model": "mlp", "layers": 2, "units": 128, "optimizer": "adam", "lr": 1e-3, "epochs": 20, "batch_size": 64}
    result = fit(params, digits)
    assert result.history[-1]["val_accuracy"] >= 0.95


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_amp_channels_last_on_cuda(digits_images: Splits) -> None:
    params = {"model": "cnn", "conv_layers": 2, "filters": 8, "units": 32, "epochs": 2, "amp": True, "lr": 3e-3}
    result = fit(params, digits_images, device="cuda")
    assert result.history[-1]["val_accuracy"] > 0.5
    assert next(result.model.parameters()).is_cuda
    # A model trained on the GPU predicts a split held on the CPU, and answers on the CPU.
    x = digits_images.x_val[:300]
    out = predict(result.model, x, batch=128)
    assert out.device.type == "cpu"
    # Within TF32's rounding: cuDNN convolves float32 in TF32 and may pick another algorithm
    # for predict's batches of 128 than for one of 300 (seen on an H200: 1e-4 apart).
    assert torch.allclose(out, result.model(x.cuda()).float().cpu(), atol=2e-3)


def test_resume_with_another_optimizer_starts_its_state_fresh(digits: Splits, fast: Params, tmp_path: Path) -> None:
    path = tmp_path / "ckpt.pt"
    fit(fast(epochs=1, optimizer="momentum", lr=0.05), digits, checkpoint_path=path)
    after = tmp_path / "after.pt"
    result = fit(fast(epochs=2, optimizer="adam", lr=2e-3), digits, resume_from=path, checkpoint_path=after)
    assert [r["epoch"] for r in result.history] == [2] and result.history[0]["lr"] == 2e-3
    groups = torch.load(after, weights_only=True)["optimizer"]["param_groups"]
    assert {tuple(g["betas"]) for g in groups} == {(0.9, 0.999)}


def test_missing_checkpoint_is_a_config_error(digits: Splits, fast: Params, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        fit(fast(), digits, resume_from=tmp_path / "none.pt")
    assert err.value.field == "resume_from"


def test_grad_clip_bounds_the_step(digits: Splits, fast: Params) -> None:
    # From all-zero weights, one full-batch SGD step with lr 1 moves the weights by exactly
    # the (clipped) gradient, so their norm is the gradient norm.
    params = fast(init="zeros", activation="sigmoid", optimizer="sgd", lr=1.0, batch_size="full", epochs=1)

    def weight_norm(model: torch.nn.Module) -> float:
        return float(torch.linalg.vector_norm(torch.cat([p.detach().flatten() for p in model.parameters()])))

    assert weight_norm(fit({**params, "grad_clip": 1e-3}, digits).model) == pytest.approx(1e-3, rel=1e-3)
    assert weight_norm(fit(params, digits).model) > 0.01  # unclipped: over ten times larger


def test_layer_statistics_match_torch_and_cover_resnets() -> None:
    from nntune.train.models import build_model
    from nntune.train.stats import LayerProbe, tensor_stats

    x = torch.relu(torch.randn(300, 40, generator=torch.Generator().manual_seed(0)))
    mean, std, zero = tensor_stats(x)
    assert mean == pytest.approx(x.mean().item(), rel=1e-5) and std == pytest.approx(x.std().item(), rel=1e-4)
    assert zero == pytest.approx((x == 0).float().mean().item())
    model = build_model({"model": "resnet18"}, (3, 16, 16), 5)
    probe = LayerProbe(model)
    with probe.capture():
        model(torch.randn(4, 3, 16, 16)).sum().backward()
    probe.grad_norms()
    rows = probe.records()
    assert len(rows) == sum(isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for m in model.modules())
    assert rows[0]["name"] == "conv1" and rows[-1]["name"] == "fc"
    assert all(math.isfinite(r["act_std"]) and r["grad_norm"] > 0 for r in rows)
    assert rows[0]["act_zero_frac"] > 0.2  # the stem's own ReLU output, used once per forward


def test_the_splits_positive_class_and_beta_reach_the_validation_metric():
    import numpy as np

    from nntune.train import fit, load_splits
    from nntune.train.loop import predict
    from nntune.train.metrics import score

    splits = load_splits("breast_cancer", seed=0)
    splits.info.update(positive_class=0, beta=2.0)
    result = fit({"epochs": 1, "units": 8, "layers": 1}, splits, metric="fbeta", seed=0)
    pred = predict(result.model, splits.x_val).argmax(-1).numpy()
    want = score("fbeta", "classification", splits.y_val.numpy(), pred, 2, positive=0, beta=2.0)
    assert result.history[-1]["val_fbeta"] == want
    assert want != score("fbeta", "classification", splits.y_val.numpy(), pred, 2) or np.all(pred == pred[0])


def test_channels_last_for_own_cnn_on_cpu_and_amp_on_cuda() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert channels_last("cnn", cpu, amp=False)
    assert not channels_last("resnet18", cpu, amp=False)  # measured as fast or faster as it is
    assert channels_last("resnet18", cuda, amp=True) and channels_last("cnn", cuda, amp=True)
    assert not channels_last("cnn", cuda, amp=False)


def test_cnn_on_cpu_trains_channels_last_and_predicts_either_layout(digits_images: Splits) -> None:
    result = fit({"model": "cnn", "conv_layers": 1, "filters": 4, "units": 8, "epochs": 1},
                 digits_images, seed=0, device="cpu")
    conv = next(m for m in result.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = digits_images.x_val[:8]
    assert torch.allclose(result.model(x), result.model(x.contiguous(memory_format=torch.channels_last)), atol=1e-5)


@pytest.mark.parametrize("field", ["l1", "grad_clip"])
def test_a_negative_l1_or_grad_clip_is_refused_as_a_stack_member_s_is(digits: Splits, fast: Params, field: str) -> None:
    """A negative L1 strength would reward large weights; a negative clip was silently off."""
    with pytest.raises(ConfigError, match=f"^{field}: must be a number >= 0, got -1$"):
        fit(fast(epochs=1, **{field: -1}), digits)


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("patience", -1, "must be an integer >= 0, got -1"),
    ("min_delta", -0.5, "must be a number >= 0, got -0.5"),
    ("dropout", 1.0, r"must be a number in \[0, 1\), got 1.0"),
    ("units", [64, 0], r"each must be an integer >= 1, got \[64, 0\]"),
    ("early_stopping", "yes", "must be true or false, got 'yes'"),
])
def test_fit_refuses_what_the_config_refuses_before_training(digits: Splits, fast: Params, field: str,
                                                             value: object, problem: str) -> None:
    """One table says what each hyperparameter accepts: a value a config would refuse with
    one line is refused by ``fit`` with the same line (a negative patience stopped at once)."""
    with pytest.raises(ConfigError, match=f"^{field}: {problem}$"):
        fit(fast(epochs=1, **{field: value}), digits)
