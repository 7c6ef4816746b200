"""Member k of a stack against fit(params_k) alone: same curves, for every optimizer family,
MLP and CNN, with and without batch norm."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
import torch

from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack_run import fit_stack

FAMILIES: dict[str, list[dict[str, Any]]] = {
    "sgd": [{"optimizer": "momentum", "lr": 0.05, "momentum": 0.8, "weight_decay": 1e-3},
            {"optimizer": "nesterov", "lr": 0.02, "grad_clip": 0.5, "lr_schedule": "step", "lr_step_epochs": 1},
            {"optimizer": "sgd", "lr": 0.1, "init": "he_normal", "weight_decay": 1e-3, "weight_decay_mode": "decoupled"}],
    "adam": [{"optimizer": "adam", "lr": 3e-3, "beta1": 0.8, "l1": 1e-4},
             {"optimizer": "adamw", "lr": 1e-2, "weight_decay": 0.05, "warmup_epochs": 1, "init": "xavier_uniform"}],
    "rmsprop": [{"optimizer": "rmsprop", "lr": 1e-3, "rho": 0.9},
                {"optimizer": "rmsprop", "lr": 3e-3, "eps": 1e-6, "lr_schedule": "exponential", "grad_clip": 1.0}],
    "adagrad": [{"optimizer": "adagrad", "lr": 0.05},
                {"optimizer": "adagrad", "lr": 0.02, "weight_decay": 1e-3, "init": "normal", "init_std": 0.05}],
}
STRUCTURES = {
    "mlp": {"model": "mlp", "layers": 2, "units": 24, "batch_size": 128},
    "cnn": {"model": "cnn", "conv_layers": 2, "filters": 4, "units": 16, "batch_size": 128},
}


def assert_same_curves(solo: list[dict[str, Any]], stacked: list[dict[str, Any]], n_val: int) -> None:
    assert [r["epoch"] for r in solo] == [r["epoch"] for r in stacked]
    for a, b in zip(solo, stacked):
        assert set(a) == set(b)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-3)
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-3)
        assert abs(b["val_accuracy"] - a["val_accuracy"]) <= 1 / n_val + 1e-12
        assert b["lr"] == pytest.approx(a["lr"], rel=1e-9) and b["iterations"] == a["iterations"]
        assert [layer["name"] for layer in a["layers"]] == [layer["name"] for layer in b["layers"]]
        for la, lb in zip(a["layers"], b["layers"]):
            assert lb["grad_norm"] == pytest.approx(la["grad_norm"], rel=1e-2, abs=1e-6)
            assert lb["act_mean"] == pytest.approx(la["act_mean"], rel=1e-2, abs=1e-4)


@pytest.fixture
def float32_on(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The device under test, computing in true float32. On CUDA cuDNN convolutions run in
    TF32 by default (a 10-bit mantissa): an H200 put a stacked CNN's validation loss 0.1-6%
    off fit's after two epochs, in every optimizer family, while the MLPs (whose matmuls
    PyTorch keeps in float32) agreed. The promise is float32's, so TF32 is off here."""
    device = request.param
    if device == "cuda":
        monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
        monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    return device


@pytest.mark.parametrize("float32_on", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs CUDA"))], indirect=True)
@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize("model", sorted(STRUCTURES))
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_member_matches_fit_alone(family: str, model: str, batchnorm: bool, float32_on: str,
                                       digits: Splits, digits_images: Splits) -> None:
    device = float32_on
    splits = digits if model == "mlp" else digits_images
    configs = [{**STRUCTURES[model], "batchnorm": batchnorm, "epochs": 2, **c} for c in FAMILIES[family]]
    configs[-1]["epochs"] = 3  # members end at different epochs
    if batchnorm and family != "sgd":
        # Weights and biases right before batch norm are scale- and shift-invariant: their true
        # gradient along that direction is 0, and adaptive optimizers turn its rounding noise
        # into steps of size lr. Any change of summation order (fit on 1 thread against fit on
        # 2 threads moves the validation loss by 0.4%) drifts apart from the second epoch on;
        # a larger eps and two epochs keep the comparison to what float32 can promise.
        for config in configs:
            config["eps"], config["epochs"] = 1e-3, 2
    seeds = list(range(len(configs)))
    stacked = fit_stack(configs, splits, seeds=seeds, device=device)
    for config, seed, result in zip(configs, seeds, stacked):
        solo = fit(config, splits, seed=seed, device=device)
        assert result.diverged is None and result.epochs == solo.epochs
        assert_same_curves(solo.history, result.history, len(splits.y_val))
        assert result.summary == solo.summary


def test_early_stopping_ends_members_apart_and_keeps_their_best_weights(digits: Splits) -> None:
    base = {"layers": 1, "units": 16, "batch_size": 128, "optimizer": "sgd", "epochs": 8, "early_stopping": True,
            "min_delta": 0.02}
    configs = [{**base, "lr": 0.5, "patience": 1}, {**base, "lr": 0.01, "patience": 3}]
    stacked = fit_stack(configs, digits, seeds=[1, 2])
    for config, seed, result in zip(configs, [1, 2], stacked):
        solo = fit(config, digits, seed=seed)
        assert (result.epochs, result.stopped_early, result.best_epoch) == (solo.epochs, solo.stopped_early, solo.best_epoch)
        assert_same_curves(solo.history, result.history, len(digits.y_val))
        for name, tensor in solo.model.state_dict().items():
            assert (result.model.state_dict()[name] - tensor).abs().max() < 1e-4
    assert stacked[0].epochs != stacked[1].epochs


def test_dropout_members_agree_with_fit_statistically(digits: Splits) -> None:
    """Masks are drawn differently, so single curves differ; over seeds the losses agree."""
    config = {"layers": 1, "units": 32, "dropout": 0.4, "batch_size": 128, "optimizer": "adam", "lr": 3e-3, "epochs": 3}
    seeds = list(range(6))
    stacked = [r.history[-1]["val_loss"] for r in fit_stack([config] * len(seeds), digits, seeds=seeds)]
    solo = [fit(config, digits, seed=s).history[-1]["val_loss"] for s in seeds]
    spread = (statistics.stdev(stacked) ** 2 / len(seeds) + statistics.stdev(solo) ** 2 / len(seeds)) ** 0.5
    assert abs(statistics.mean(stacked) - statistics.mean(solo)) < 4 * spread + 1e-3
    assert len(set(stacked)) == len(seeds)  # each member drew its own masks


def test_a_member_s_layer_table_is_its_solo_model_s_with_and_without_dropout(digits: Splits) -> None:
    configs = [{"layers": 2, "units": 16, "epochs": 1, "dropout": d} for d in (0.0, 0.3, 0.0)]
    results = fit_stack(configs, digits, seeds=[0, 1, 2])
    for config, result in zip(configs, results):
        assert result.summary == fit(config, digits, seed=0).summary
    assert len(results[1].summary) > len(results[0].summary)  # the dropout layers are listed


def test_members_with_their_own_huber_delta_match_fit_alone(diabetes: Splits) -> None:
    base = {"layers": 1, "units": 16, "batch_size": 32, "optimizer": "sgd", "lr": 0.05, "epochs": 3, "loss": "huber"}
    configs = [{**base, "huber_delta": 0.5}, {**base, "huber_delta": 2.0}]
    stacked = fit_stack(configs, diabetes, seeds=[0, 1], metric="mae")
    for config, seed, result in zip(configs, [0, 1], stacked):
        solo = fit(config, diabetes, seed=seed, metric="mae")
        for a, b in zip(solo.history, result.history):
            assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
            assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-4)
            assert b["value"] == pytest.approx(a["value"], rel=1e-4)
