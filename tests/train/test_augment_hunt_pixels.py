"""Augmentation values as torchvision users expect them: pixel ranges, uint8 batches,
presets and option values that cannot work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from nntune.exceptions import ConfigError
from nntune.train.augment import augment_for, make_augment
from nntune.train.data import load_splits


def pixels(n: int = 6, c: int = 3, h: int = 8, w: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed))


def test_brightness_keeps_unit_pixels_in_range_without_mean_std() -> None:
    x = pixels()
    out = make_augment([{"color_jitter": {"brightness": [2.0, 2.0]}}])(x)  # type: ignore[misc]
    assert torch.allclose(out, TF.adjust_brightness(x, 2.0), atol=1e-6)
    assert float(out.max()) <= 1.0


def npz_images(tmp_path: Path, scale: float) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    np.savez(path, x=(rng.random((40, 3, 6, 6)) * scale).astype(np.float32), y=rng.integers(0, 2, 40))
    return path


def test_colour_changes_keep_float_images_stored_as_0_to_255(tmp_path: Path) -> None:
    s = load_splits({"kind": "npz", "path": str(npz_images(tmp_path, 255.0))})
    norm = s.info["normalization"]
    mean, std = torch.tensor(norm["shift"]).view(1, 3, 1, 1), torch.tensor(norm["scale"]).view(1, 3, 1, 1)
    raw = s.x_train * std + mean
    darker = augment_for(s, [{"color_jitter": {"brightness": [0.5, 0.5]}}])(s.x_train)  # type: ignore[misc]
    assert torch.allclose(darker * std + mean, raw * 0.5, atol=1e-3)  # not flattened to [0, 1]
    hue = augment_for(s, [{"color_jitter": {"brightness": 0, "hue": [0.2, 0.2]}}])(s.x_train)  # type: ignore[misc]
    low, high = float(raw.min().clamp(max=0)), float(raw.max().clamp(min=1))
    expected = TF.adjust_hue((raw - low) / (high - low), 0.2) * (high - low) + low
    assert float((hue * std + mean - expected).abs().max()) < 0.05  # of 255; clamped it would be ~250


def test_uint8_batches_are_augmented_as_torchvision_does() -> None:
    x = (pixels() * 255).to(torch.uint8)
    flipped = make_augment([{"hflip": {"p": 1.0}}])(x)  # type: ignore[misc]
    assert flipped.dtype == torch.uint8 and torch.equal(flipped, TF.horizontal_flip(x))
    brighter = make_augment([{"color_jitter": {"brightness": [1.5, 1.5]}}])(x)  # type: ignore[misc]
    assert brighter.dtype == torch.uint8
    assert (brighter.int() - TF.adjust_brightness(x, 1.5).int()).abs().max() <= 1
    shifted = make_augment(["random_crop", "rotation"], seed=2)(x)  # type: ignore[misc]
    assert shifted.dtype == torch.uint8 and shifted.shape == x.shape


def test_an_empty_batch_keeps_the_shape_the_steps_give() -> None:
    empty = torch.zeros(0, 3, 8, 8)
    assert make_augment(["cifar10_train"])(empty).shape == (0, 3, 224, 224)  # type: ignore[misc]
    assert make_augment(["color_jitter", "random_crop"])(empty).shape == (0, 3, 8, 8)  # type: ignore[misc]


def test_a_preset_given_parameters_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError) as err:
        make_augment([{"cifar10_train": {"size": 64}}])
    assert err.value.field == "augment[0]" and "takes no parameters" in err.value.problem
    assert make_augment([{"cifar10_train": None}]) is not None  # a bare preset in dict form still works


@pytest.mark.parametrize("value", ["02", "12", b"05"])
def test_a_range_written_as_a_string_is_refused(value: object) -> None:
    with pytest.raises(ConfigError) as err:
        make_augment([{"color_jitter": {"brightness": value}}])
    assert err.value.field == "augment.color_jitter.brightness"


@pytest.mark.parametrize("args, field", [({"scale": [0.5, 1.5]}, "augment.random_resized_crop.scale"),
                                         ({"scale": 0}, "augment.random_resized_crop.scale"),
                                         ({"ratio": [0, 1]}, "augment.random_resized_crop.ratio")])
def test_a_bad_crop_scale_or_ratio_names_its_own_key(args: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_augment([{"random_resized_crop": args}])
    assert err.value.field == field


def test_mean_std_of_other_channels_are_refused_not_broadcast() -> None:
    aug = make_augment(["hflip"], mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    with pytest.raises(ConfigError) as err:
        aug(pixels(c=1))  # type: ignore[misc]
    assert err.value.field == "augment.mean" and "1 channels" in err.value.problem
    assert make_augment(["hflip"], mean=[0.5], std=[0.2])(pixels(c=3)).shape == (6, 3, 8, 8)  # type: ignore[misc]


def test_an_upscaling_crop_has_no_black_frame_and_matches_the_eval_resize() -> None:
    grey = torch.full((4, 3, 32, 32), 0.7)
    out = make_augment(["cifar10_train"], seed=1)(grey)  # type: ignore[misc]
    assert out.shape == (4, 3, 224, 224) and torch.allclose(out, grey[:, :, :1, :1].expand_as(out), atol=1e-5)
    x = pixels(h=32, w=32)
    whole = make_augment([{"random_resized_crop": {"scale": [1, 1], "ratio": [1, 1], "size": 224}}])(x)  # type: ignore[misc]
    assert torch.allclose(whole, TF.resize(x, [224, 224], antialias=True), atol=1e-5)  # what validation sees


def test_a_shrinking_crop_is_antialiased_as_torchvision_does() -> None:
    x = pixels(h=32, w=32)  # noise: fine detail that plain bilinear sampling would alias
    small = make_augment([{"random_resized_crop": {"scale": [1, 1], "ratio": [1, 1], "size": 8}}])(x)  # type: ignore[misc]
    assert torch.allclose(small, TF.resize(x, [8, 8], antialias=True), atol=1e-5)
    mixed = make_augment([{"random_resized_crop": {"size": 8}}], seed=3)(x)  # type: ignore[misc]
    assert mixed.shape == (6, 3, 8, 8)
