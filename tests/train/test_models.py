"""Model builders, dropout behaviour, pretrained weights and the model summary."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.models import build_model, format_summary, set_dropout, summarize


def test_mlp_follows_layers_units_activation_batchnorm_dropout() -> None:
    model = build_model(
        {"model": "mlp", "layers": 3, "units": [40, 30, 20], "activation": "tanh", "batchnorm": True, "dropout": 0.3},
        (64,), 10,
    )
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 40), (40, 30), (30, 20), (20, 10)]
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 3
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.modules()) == 3
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.3, 0.3, 0.3]
    assert model(torch.randn(5, 64)).shape == (5, 10)


def test_mlp_flattens_images() -> None:
    model = build_model({"model": "mlp", "layers": 1, "units": 8}, (1, 8, 8), 3)
    assert model(torch.randn(4, 1, 8, 8)).shape == (4, 3)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"model": "transformer"}, "model"),
        ({"activation": "swishy"}, "activation"),
        ({"layers": 2, "units": [10]}, "units"),
        ({"dropout": 1.5}, "dropout"),
        ({"model": "cnn", "pool": "median"}, "pool"),
        ({"model": "cnn", "padding": "full"}, "padding"),
    ],
)
def test_bad_values_name_the_field(params: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_model(params, (1, 8, 8), 10)
    assert err.value.field == field


def test_dropout_is_off_in_eval_and_on_in_train() -> None:
    torch.manual_seed(0)
    model = build_model({"layers": 2, "units": 64, "dropout": 0.5}, (20,), 4)
    x = torch.randn(16, 20)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_set_dropout_changes_every_dropout_module() -> None:
    model = build_model({"layers": 2, "units": 8, "dropout": 0.2}, (4,), 2)
    set_dropout(model, 0.4)
    assert {m.p for m in model.modules() if isinstance(m, nn.Dropout)} == {0.4}


def test_cnn_blocks_grow_filters_and_stop_pooling_on_tiny_maps() -> None:
    params = {"model": "cnn", "conv_layers": 4, "filters": 8, "filters_growth": 2, "kernel_size": 3, "units": 16}
    model = build_model(params, (1, 8, 8), 10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64]
    # 8x8 -> 4 -> 2 -> 1: the fourth block has nothing left to pool.
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 3
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)


def test_cnn_valid_padding_and_stride_shrink_the_map() -> None:
    params = {"model": "cnn", "conv_layers": 1, "filters": 4, "kernel_size": 3, "stride": 2, "padding": "valid",
              "pool": "none", "units": 5}
    model = build_model(params, (3, 9, 9), 2)
    assert model.fc.in_features == 4 * 4 * 4  # (9 - 3) // 2 + 1 = 4


def test_cnn_needs_images() -> None:
    with pytest.raises(ConfigError, match="model"):
        build_model({"model": "cnn"}, (64,), 10)


def test_resnet_adapts_channels_and_classes() -> None:
    model = build_model({"model": "resnet18"}, (1, 8, 8), 7)
    assert model.conv1.in_channels == 1
    model.eval()
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 7)


def test_pretrained_weights_load_backbone_and_give_a_new_head(tmp_path: Path) -> None:
    source = build_model({"layers": 1, "units": 16}, (12,), 5)
    path = tmp_path / "weights.pt"
    torch.save(source.state_dict(), path)
    model = build_model({"layers": 1, "units": 16, "pretrained_weights": str(path)}, (12,), 3)
    assert torch.equal(model.fc1.weight, source.fc1.weight)
    assert model.head.out_features == 3


def test_pretrained_rgb_stem_is_summed_for_grayscale(tmp_path: Path) -> None:
    import torchvision

    source = torchvision.models.resnet18(weights=None)
    path = tmp_path / "resnet18.pt"
    torch.save(source.state_dict(), path)
    model = build_model({"model": "resnet18", "pretrained_weights": path}, (1, 16, 16), 10)
    assert torch.allclose(model.conv1.weight, source.conv1.weight.sum(dim=1, keepdim=True))
    assert torch.equal(model.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    assert model.fc.out_features == 10


def test_missing_pretrained_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pt"
    with pytest.raises(ConfigError) as err:
        build_model({"pretrained_weights": str(missing)}, (4,), 2)
    assert err.value.field == "pretrained_weights" and str(missing) in str(err.value)


def test_summary_rows_count_parameters_and_shapes() -> None:
    model = build_model({"layers": 2, "units": 32, "batchnorm": True}, (64,), 10)
    rows = summarize(model, (64,))
    by_name = {r["name"]: r for r in rows}
    assert by_name["fc1"]["params"] == 64 * 32 + 32
    assert by_name["fc2"]["output_shape"] == [-1, 32]
    assert by_name["head"]["output_shape"] == [-1, 10]
    assert by_name["total"]["params"] == sum(p.numel() for p in model.parameters())
    assert sum(r["params"] for r in rows if r["name"] != "total") == by_name["total"]["params"]
    assert model.training  # summarizing does not leave the model in eval mode
    text = format_summary(rows)
    assert "fc1" in text and f"{by_name['total']['params']:,}" in text


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", None])
def test_unreadable_pretrained_weights_name_the_field(tmp_path: Path, content: bytes | None) -> None:
    """An empty, corrupt or tensor-less file is one line naming the field (an empty file's
    EOFError reached the command line as an abort)."""
    path = tmp_path / "w.pt"
    if content is None:
        torch.save([1, 2, 3], path)
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        build_model({"layers": 1, "units": 16, "pretrained_weights": str(path)}, (12,), 3)
    assert err.value.field == "pretrained_weights" and str(path) in err.value.problem
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("dropout", ["x", None, True, float("nan"), 1.0])
def test_a_dropout_that_is_not_a_rate_is_refused_naming_it(dropout: object) -> None:
    with pytest.raises(ConfigError, match="^dropout: must be in \\[0, 1\\), got "):
        build_model({"layers": 1, "units": 4, "dropout": dropout}, (3,), 2)
