"""Colour jitter applies its adjustments in a random order drawn for each image, as
torchvision's ColorJitter does on each call, from the augmentation's own generator (so a
seed repeats a run)."""

from __future__ import annotations

import torch
from torchvision.transforms.v2 import functional as TF

from nntune.train.augment import make_augment

# Brightness doubled, then contrast 0 (every pixel the image's mean grey) gives another grey
# than the same two the other way round: the doubled pixels are clipped at 1 first.
JITTER = [{"color_jitter": {"brightness": [2.0, 2.0], "contrast": [0.0, 0.0]}}]


def _checkers(n: int) -> torch.Tensor:
    """``n`` grey checkerboards of 0.2 and 0.8 (mean 0.5), three channels."""
    board = (torch.arange(4).view(-1, 1) + torch.arange(4)) % 2 * 0.6 + 0.2
    return board.expand(n, 3, 4, 4).clone()


def test_each_image_gets_its_own_order_as_torchvision_gives_each_call() -> None:
    x = _checkers(200)
    # the two results torchvision's ColorJitter gives, one for each order it may draw
    brightness_first = TF.adjust_contrast(TF.adjust_brightness(x[:1], 2.0), 0.0)
    contrast_first = TF.adjust_brightness(TF.adjust_contrast(x[:1], 0.0), 2.0)
    assert not torch.allclose(brightness_first, contrast_first)
    out = make_augment(JITTER, seed=0)(x)  # type: ignore[misc]
    first = torch.isclose(out, brightness_first, atol=1e-5).flatten(1).all(1)
    second = torch.isclose(out, contrast_first, atol=1e-5).flatten(1).all(1)
    assert bool((first | second).all())  # every image is one of the two orders' results
    assert 60 <= int(first.sum()) <= 140  # each order about half the time (1/2, 200 draws)


def test_the_same_seed_gives_the_same_orders_and_another_seed_others() -> None:
    x = torch.rand(64, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    jitter = [{"color_jitter": {"brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}}]
    once, again = make_augment(jitter, seed=5)(x), make_augment(jitter, seed=5)(x)  # type: ignore[misc]
    assert torch.equal(once, again)
    orders = make_augment(JITTER, seed=5)(_checkers(64)), make_augment(JITTER, seed=6)(_checkers(64))  # type: ignore[misc]
    assert torch.equal(orders[0], make_augment(JITTER, seed=5)(_checkers(64)))  # type: ignore[misc]
    assert not torch.equal(*orders)


def test_one_adjustment_draws_no_order() -> None:
    # brightness alone (the default): the same factors for a seed as when no order was drawn,
    # so the images after it are drawn from where they always were
    x = torch.rand(16, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    aug = make_augment([{"color_jitter": {"brightness": 0.5}}, "hflip"], seed=3)
    gen = torch.Generator().manual_seed(3)
    factors = 0.5 + torch.rand(16, generator=gen, dtype=torch.float64)
    flips = torch.rand(16, generator=gen) < 0.5
    expected = (x * factors.float().view(-1, 1, 1, 1)).clamp(0, 1)
    expected = torch.where(flips.view(-1, 1, 1, 1), expected.flip(-1), expected)
    assert torch.allclose(aug(x), expected, atol=1e-6)  # type: ignore[misc]
