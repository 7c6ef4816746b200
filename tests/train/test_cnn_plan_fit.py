"""A kernel that does not fit the image it meets is refused naming the setting at fault:
the first block's kernel_size (the image is the data's), or in a later block the blocks
before it, which shrank the image (conv_layers)."""

import pytest

from nntune.exceptions import ConfigError
from nntune.train.cnn_plan import plan_cnn

VALID = {"padding": "valid", "filters_growth": 2.0}


def test_a_first_kernel_larger_than_the_image_names_kernel_size():
    with pytest.raises(ConfigError, match=r"^kernel_size: block 1's 17x17 kernel is larger than its 16x16 input "
                                          r"padded by 0, which leaves no pixel; use padding 'same' or a smaller "
                                          r"kernel_size$"):
        plan_cnn({**VALID, "kernel_size": 17}, (3, 16, 16), n_blocks=2, filters=4, pool="max")


def test_a_later_block_left_without_pixels_names_conv_layers():
    with pytest.raises(ConfigError, match=r"^conv_layers: block 3's 3x3 kernel is larger than its 2x2 input .* "
                                          r"or fewer conv_layers$"):
        plan_cnn(VALID, (3, 16, 16), n_blocks=6, filters=4, pool="max")
    with pytest.raises(ConfigError, match=r"^conv_layers: block 2's 3x3 kernel is larger than its 1x1 input"):
        plan_cnn({**VALID, "stride": 40}, (3, 16, 16), n_blocks=2, filters=4, pool="max")


def test_a_kernel_that_just_fits_leaves_one_pixel():
    blocks = plan_cnn({**VALID, "kernel_size": [16, 1]}, (3, 16, 16), n_blocks=2, filters=4, pool="max")
    assert [b.conv_hw for b in blocks] == [(1, 1), (1, 1)]
