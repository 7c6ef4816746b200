"""make_augment: seeded per-image augmentation of training batches."""

from __future__ import annotations

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.augment import (AUGMENTATIONS, IMAGENET_MEAN, IMAGENET_STD, augment_for, make_augment,
                                  make_eval_transform, parse_steps)
from nntune.train.data import load_splits


def batch(n: int = 16, c: int = 3, h: int = 12, w: int = 10, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed))


def test_empty_list_means_no_augmentation() -> None:
    assert make_augment([], None) is None
    assert make_eval_transform([]) is None


@pytest.mark.parametrize("names", [["hflip"], ["vflip"], [{"random_resized_crop": {"scale": [0.3, 0.9]}}],
                                   [{"rotation": {"degrees": 30}}], ["random_crop"],
                                   [{"color_jitter": {"brightness": 0.5, "contrast": 0.3, "saturation": 0.3,
                                                      "hue": 0.1}}], ["hflip", "rotation", "color_jitter"]])
def test_every_augmentation_changes_images_keeps_shape_and_repeats(names: list) -> None:
    x = batch()
    first = make_augment(names, None, seed=1)
    assert first is not None
    out = first(x)
    assert out.shape == x.shape and out.dtype == x.dtype and torch.isfinite(out).all()
    assert not torch.equal(out, x)
    assert torch.equal(make_augment(names, None, seed=1)(x), out)  # type: ignore[misc]
    assert not torch.equal(make_augment(names, None, seed=2)(x), out)  # type: ignore[misc]
    assert not torch.equal(first(x), out)  # the next batch draws new parameters
    first.reset()
    assert torch.equal(first(x), out)


def test_flip_is_exact_and_drawn_per_image() -> None:
    x = batch(n=64)
    assert torch.equal(make_augment([{"hflip": {"p": 1.0}}], None)(x), x.flip(-1))  # type: ignore[misc]
    assert torch.equal(make_augment([{"hflip": {"p": 0.0}}], None)(x), x)  # type: ignore[misc]
    out = make_augment(["hflip"], None, seed=3)(x)  # type: ignore[misc]
    flipped = [bool(torch.equal(out[i], x[i].flip(-1))) for i in range(64)]
    assert 16 < sum(flipped) < 48


def test_rotation_geometry_on_a_non_square_image() -> None:
    x = batch(h=6, w=9)
    half_turn = make_augment([{"rotation": {"degrees": [180, 180]}}], None)(x)  # type: ignore[misc]
    assert torch.allclose(half_turn, x.flip(-1).flip(-2), atol=1e-5)
    still = make_augment([{"rotation": {"degrees": 0}}], None)(x)  # type: ignore[misc]
    assert torch.allclose(still, x, atol=1e-6)


def test_random_crop_shifts_by_whole_pixels() -> None:
    x = batch(n=8, h=10, w=10)
    out = make_augment([{"random_crop": {"padding": 2}}], None, seed=5)(x)  # type: ignore[misc]
    for i in range(8):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.allclose(out[i, :, 2:-2, 2:-2], x[i, :, 2 + dy:8 + dy, 2 + dx:8 + dx], atol=1e-5)]
        assert matches


def test_resized_crop_to_a_new_size_and_matching_eval_transform() -> None:
    x = batch()
    out = make_augment([{"random_resized_crop": {"size": 20}}], None)(x)  # type: ignore[misc]
    assert out.shape == (16, 3, 20, 20)
    evaluate = make_eval_transform([{"random_resized_crop": {"size": 20}}])
    assert evaluate is not None and evaluate(x).shape == (16, 3, 20, 20)
    assert torch.equal(evaluate(x), evaluate(x))


def test_cifar10_train_preset_follows_the_lecture() -> None:
    steps = parse_steps(["cifar10_train"])
    assert [name for name, _ in steps] == ["random_resized_crop", "hflip"]
    assert steps[0][1]["size"] == (224, 224) and steps[1][1]["p"] == 0.5
    x = batch(n=4, h=32, w=32)
    assert make_augment(["cifar10_train"], None)(x).shape == (4, 3, 224, 224)  # type: ignore[misc]
    assert make_eval_transform(["cifar10_train"])(x).shape == (4, 3, 224, 224)  # type: ignore[misc]
    resized = make_eval_transform(["cifar10_eval"])(x)  # type: ignore[misc]
    assert torch.equal(resized, make_eval_transform(["cifar10_train"])(x))  # type: ignore[misc]
    assert IMAGENET_MEAN == (0.485, 0.456, 0.406) and IMAGENET_STD == (0.229, 0.224, 0.225)


def test_params_override_in_nested_and_flat_form() -> None:
    nested = parse_steps(["rotation"], {"rotation": {"degrees": 5}})
    flat = parse_steps(["rotation"], {"rotation.degrees": 5, "lr": 0.1})
    assert nested == flat == [("rotation", {"degrees": (-5.0, 5.0)})]
    assert parse_steps([{"name": "hflip", "p": 0.2}]) == [("hflip", {"p": 0.2})]
    assert parse_steps(["rotation"])[0][1]["degrees"] == (-AUGMENTATIONS["rotation"]["degrees"],
                                                           AUGMENTATIONS["rotation"]["degrees"])


@pytest.mark.parametrize("names, params, field", [
    (["zoom"], None, "augment[0]"), ([{"rotation": {"angle": 3}}], None, "augment.rotation"),
    (["hflip"], {"hflip.p": 2.0}, "augment.hflip.p"), ([{"color_jitter": {"hue": 0.9}}], None, "augment.color_jitter.hue"),
    ([{"random_resized_crop": {"size": 0}}], None, "augment.random_resized_crop.size"), ([3], None, "augment[0]"),
    ([{"random_resized_crop": {"size": 224.0}}], None, "augment.random_resized_crop.size"),
    ([{"resize": {"size": "64"}}], None, "augment.resize.size"),
    ([{"rotation": {"degrees": float("nan")}}], None, "augment.rotation.degrees"),
    ([{"color_jitter": {"brightness": [0.5, float("inf")]}}], None, "augment.color_jitter.brightness")])
def test_bad_augmentations_raise(names: list, params: dict | None, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_augment(names, params)
    assert err.value.field == field


def test_colour_changes_act_on_pixels_of_normalized_batches() -> None:
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    pixels = batch()
    normalized = (pixels - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    aug = make_augment([{"color_jitter": {"brightness": [1.5, 1.5]}}], None, mean=mean, std=std)
    back = aug(normalized) * torch.tensor(std).view(1, 3, 1, 1) + torch.tensor(mean).view(1, 3, 1, 1)  # type: ignore[misc]
    assert torch.allclose(back, (pixels * 1.5).clamp(0, 1), atol=1e-5)


def test_augment_for_uses_the_splits_normalization() -> None:
    s = load_splits("digits", as_image=True)
    aug = augment_for(s, ["hflip", "rotation"], seed=0)
    assert aug is not None and aug.mean is not None
    assert aug(s.x_train[:32]).shape == (32, 1, 8, 8)
    with pytest.raises(ConfigError):
        augment_for(load_splits("iris"), ["hflip"])


def test_non_image_batches_are_refused() -> None:
    with pytest.raises(ConfigError):
        make_augment(["hflip"], None)(torch.zeros(4, 10))  # type: ignore[misc]
