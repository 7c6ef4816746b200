"""The CNN capacity rule: pixels x feature maps per block, kernel and stride per block."""

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.cnn_plan import capacity_warnings, describe_cnn, per_block, plan_cnn
from nntune.train.models import build_model

BASE = {"model": "cnn", "padding": "same", "pool": "max", "units": 32}


def test_auto_growth_keeps_pixels_times_maps_constant():
    blocks = plan_cnn({**BASE, "filters_growth": "auto"}, (1, 28, 28), n_blocks=3, filters=16, pool="max")
    assert [b.out_channels for b in blocks] == [16, 64, 256]  # x4 after each 2x2 pooling
    assert [b.conv_hw for b in blocks] == [(28, 28), (14, 14), (7, 7)]
    assert {b.conv_units for b in blocks} == {28 * 28 * 16}
    assert capacity_warnings(blocks, (1, 28, 28)) == []


def test_a_fixed_growth_that_lets_capacity_fall_is_warned():
    params = {**BASE, "filters_growth": 1.0, "stride": [1, 2, 1]}
    blocks = plan_cnn(params, (3, 32, 32), n_blocks=3, filters=16, pool="max")
    assert [b.conv_hw for b in blocks] == [(32, 32), (8, 8), (4, 4)]
    warnings = capacity_warnings(blocks, (3, 32, 32))
    assert len(warnings) == 1 and warnings[0].startswith("block 2: pixels x maps falls 16.0x")
    auto = plan_cnn({**params, "filters_growth": "auto"}, (3, 32, 32), n_blocks=3, filters=16, pool="max")
    assert [b.out_channels for b in auto] == [16, 256, 1024]
    assert capacity_warnings(auto, (3, 32, 32)) == []


def test_a_large_kernel_and_stride_in_the_first_block_only():
    params = {**BASE, "kernel_size": [7, 3, 3], "stride": [2, 1, 1], "filters": 8, "conv_layers": 3,
              "filters_growth": "auto"}
    model = build_model(params, (3, 32, 32), 10)
    assert model.conv1.kernel_size == (7, 7) and model.conv1.stride == (2, 2)
    assert model.conv2.kernel_size == (3, 3) and model.conv2.stride == (1, 1)
    assert [model.conv1.out_channels, model.conv2.out_channels, model.conv3.out_channels] == [8, 32, 128]
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_per_block_values_name_the_field():
    assert per_block({"kernel_size": 5}, "kernel_size", 3, 3) == [5, 5, 5]
    with pytest.raises(ConfigError, match="kernel_size.*list of 3"):
        per_block({"kernel_size": [7, 3]}, "kernel_size", 3, 3)
    with pytest.raises(ConfigError, match="stride"):
        per_block({"stride": [1, 0]}, "stride", 2, 1)
    with pytest.raises(ConfigError, match="filters_growth"):
        plan_cnn({**BASE, "filters_growth": "fast"}, (1, 8, 8), n_blocks=2, filters=4, pool="max")


def test_describe_lists_every_block_and_the_warnings():
    lines = describe_cnn({"model": "cnn", "conv_layers": 2, "filters": 4, "filters_growth": 1.0}, (1, 8, 8))
    assert lines[1] == "input    8x8 pixels x 1 maps = 64"
    assert lines[2].startswith("block 1  3x3 kernel, stride 1: 8x8 pixels x 4 maps = 256")
    assert lines[3].startswith("block 2  3x3 kernel, stride 1: 4x4 pixels x 4 maps = 64")
    assert len(lines) == 4  # a fall of exactly 4x (a 2x2 pooling) is no warning
    shrinking = describe_cnn({"model": "cnn", "conv_layers": 2, "filters": 4, "filters_growth": 0.5}, (1, 8, 8))
    assert shrinking[-1].startswith("warning: block 2: pixels x maps falls 8.0x from block 1")


def test_layout_advice_follows_note_003_on_kernels_and_strides():
    from nntune.train.cnn_plan import layout_advice

    def advice(params, shape):
        full = {**BASE, **params}
        return layout_advice(plan_cnn(full, shape, n_blocks=len(full["kernel_size"]), filters=8, pool="max"), shape)

    # The notes' own layouts: 5x5 then 3x3 on 28x28; 11x11 stride 4 first over 224x224.
    assert advice({"kernel_size": [5, 5, 3], "stride": [1, 1, 1]}, (1, 28, 28)) == []
    assert advice({"kernel_size": [11, 5, 3], "stride": [4, 1, 1]}, (3, 224, 224)) == []
    small_stride = advice({"kernel_size": [3, 3], "stride": [2, 1]}, (1, 28, 28))
    assert len(small_stride) == 1 and small_stride[0].startswith("block 1: 3x3 kernel, stride 2: a stride above 1 over a small 28-pixel input")
    late_stride = advice({"kernel_size": [11, 3], "stride": [4, 2]}, (3, 224, 224))
    assert len(late_stride) == 1 and "block 2" in late_stride[0] and "away from the input" in late_stride[0]
    assert "5x5 on 28-32" in advice({"kernel_size": [11, 3], "stride": [1, 1]}, (3, 32, 32))[0]
    assert "3x3 kernels from the third stage" in advice({"kernel_size": [5, 5, 5], "stride": [1, 1, 1]}, (1, 28, 28))[0]
    assert "first layer only" in advice({"kernel_size": [5, 11], "stride": [4, 1]}, (3, 224, 224))[0]


def test_describe_ends_with_the_layout_advice():
    lines = describe_cnn({"model": "cnn", "conv_layers": 2, "filters": 4, "stride": [2, 1]}, (1, 28, 28))
    assert lines[-1].startswith("advice: block 1: 3x3 kernel, stride 2")
