"""A new ``dropout`` takes effect on a model built without any: while training (``nntune
trial set dropout=0.3`` on an overfitting trial) as on resume, and the weights keep their names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nntune.train.basics import resolve_params
from nntune.train.loop import fit
from nntune.train.models import build_model, set_dropout
from nntune.train.splits import SealedSplit, Splits

Params = Callable[..., dict[str, Any]]


def rates(model: nn.Module) -> list[float]:
    return [m.p for m in model.modules() if isinstance(m, nn.Dropout)]


def without_times(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "epoch_time"} for r in history]


def test_dropout_switched_on_while_training_is_used_as_on_resume(digits: Splits, fast: Params, tmp_path: Path) -> None:
    params = fast(layers=2, epochs=4)
    live = fit(params, digits, changes=lambda epoch, hp: {"dropout": 0.3} if epoch == 2 else {})
    assert rates(live.model) == [0.3, 0.3]
    path = tmp_path / "trial-0.pt"
    fit({**params, "epochs": 2}, digits, checkpoint_path=path)
    resumed = fit({**params, "dropout": 0.3}, digits, resume_from=path)
    assert without_times(live.history[2:]) == without_times(resumed.history)
    plain = fit(params, digits)
    assert live.history[-1]["train_loss"] != plain.history[-1]["train_loss"]


def test_a_cnn_gains_dropout_only_after_its_dense_layer() -> None:
    model = build_model(resolve_params({"model": "cnn"}, "classification"), (1, 8, 8), 10)
    keys = list(model.state_dict())
    set_dropout(model, 0.4)
    fresh = build_model(resolve_params({"model": "cnn", "dropout": 0.4}, "classification"), (1, 8, 8), 10)
    assert [n for n, _ in model.named_children()] == [n for n, _ in fresh.named_children()]
    assert list(model.state_dict()) == keys and rates(model) == [0.4]


def test_a_resnet_gains_dropout_and_resumes_with_it_switched_on_or_off(digits_images: Splits, tmp_path: Path) -> None:
    x_test, y_test = digits_images.test.open("a small copy for this test")
    small = Splits(digits_images.x_train[:64], digits_images.y_train[:64], digits_images.x_val[:32],
                   digits_images.y_val[:32], SealedSplit(x_test[:8], y_test[:8]), "classification", n_classes=10)
    params = {"model": "resnet18", "epochs": 1, "batch_size": 32, "optimizer": "sgd", "lr": 0.01}
    model = build_model(resolve_params(params, "classification"), (1, 8, 8), 10)
    keys = list(model.state_dict())
    set_dropout(model, 0.9)
    model.train()
    batch = small.x_train[:4]
    assert list(model.state_dict()) == keys and not torch.equal(model(batch), model(batch))
    off, on = tmp_path / "off.pt", tmp_path / "on.pt"
    fit(params, small, checkpoint_path=off)
    assert [r["epoch"] for r in fit({**params, "epochs": 2, "dropout": 0.3}, small, resume_from=off,
                                    checkpoint_path=on).history] == [2]
    assert [r["epoch"] for r in fit({**params, "epochs": 3}, small, resume_from=on).history] == [3]


def test_a_deep_copy_of_a_resnet_given_dropout_drops_out_through_its_own_module() -> None:
    import copy

    from torchvision.models import resnet18

    model = resnet18(num_classes=3)
    set_dropout(model, 0.5)
    twin = copy.deepcopy(model)
    set_dropout(twin, 0.0)  # the copy's rate only
    assert model.drop_fc.p == 0.5 and twin.drop_fc.p == 0.0
    twin.train()
    x = torch.randn(2, 3, 32, 32)
    hook = next(iter(twin.fc._forward_pre_hooks.values()))
    assert hook.drop is twin.drop_fc
    assert twin(x).shape == (2, 3)
