"""Pretrained weights of another network are refused rather than half loaded: a built-in
model takes its whole backbone from the file; a model of the user's own may take a part."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.models import build_model


def test_another_resnets_weights_are_refused_naming_what_does_not_fit(tmp_path: Path) -> None:
    import torchvision

    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    for params in ({"model": "resnet18"}, {"model": "resnet18", "dropout": 0.2}):  # both heads stay fresh
        model = build_model({**params, "pretrained_weights": str(path)}, (1, 16, 16), 3)
        assert model.layer4[1].conv2.weight.shape == (512, 512, 3, 3)
    with pytest.raises(ConfigError, match=r"^pretrained_weights: .*resnet18.pth fills 43 of the 159 weight tensors "
                                          r"of the model's backbone \(none fits layer1.0.conv1.weight, shape "
                                          r"\(64, 64, 1, 1\)\); are they another network's weights\?$"):
        build_model({"model": "resnet50", "pretrained_weights": str(path)}, (3, 16, 16), 3)


def test_an_mlp_of_other_widths_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mlp.pt"
    torch.save(build_model({"layers": 2, "units": 16}, (12,), 5).state_dict(), path)
    with pytest.raises(ConfigError, match=r"fills 2 of the 4 weight tensors .*none fits fc2.weight"):
        build_model({"layers": 2, "units": [16, 32], "pretrained_weights": str(path)}, (12,), 3)


def test_a_model_of_ones_own_may_take_an_encoder_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "encnets.py").write_text(
        "from torch import nn\n"
        "def net(input_shape, n_outputs, *, extra=4):\n"
        "    return nn.Sequential(nn.Linear(input_shape[0], 8), nn.ReLU(), nn.Linear(8, extra), nn.Linear(extra, n_outputs))\n")
    monkeypatch.chdir(tmp_path)
    try:
        encoder = nn.Sequential(nn.Linear(12, 8))
        torch.save(encoder.state_dict(), tmp_path / "encoder.pt")
        model = build_model({"model": "encnets:net", "pretrained_weights": "encoder.pt"}, (12,), 3)
        assert torch.equal(model[0].weight, encoder[0].weight)
    finally:
        sys.modules.pop("encnets", None)


def test_a_frozen_backbone_counts_only_the_head_as_trainable() -> None:
    from nntune.train.models import summarize

    model = build_model({"model": "resnet18", "freeze_backbone": True}, (3, 16, 16), 3)
    total = summarize(model, (3, 16, 16))[-1]
    assert total["trainable"] == 512 * 3 + 3 < total["params"]  # was: every parameter, before the optimizer froze them
    assert summarize(build_model({"layers": 1, "units": 4}, (6,), 2), (6,))[-1]["trainable"] == 6 * 4 + 4 + 4 * 2 + 2


def test_a_checkpoint_keeping_its_weights_under_state_dict_loads(tmp_path: Path) -> None:
    source = build_model({"layers": 1, "units": 16}, (12,), 5)
    path = tmp_path / "epoch=3.ckpt"
    torch.save({"epoch": 3, "state_dict": source.state_dict()}, path)  # as Lightning writes them
    model = build_model({"layers": 1, "units": 16, "pretrained_weights": str(path)}, (12,), 3)
    assert torch.equal(model.fc1.weight, source.fc1.weight)  # was: "no tensor in ... fits model Sequential"
