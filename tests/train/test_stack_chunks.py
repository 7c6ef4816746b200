"""A stacked CNN's first layers run a slice of the batch at a time: which layers, how many
images a slice, and the same training, member by member, as the whole batch at once."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from nntune.train.splits import Splits
from nntune.train.stack import Stack
from nntune.train.stack_chunks import largest_activation, per_image_prefix, slice_rows

MEMBERS: list[dict[str, Any]] = [
    {"optimizer": "momentum", "lr": 0.05, "momentum": 0.8, "weight_decay": 1e-3},
    {"optimizer": "momentum", "lr": 0.01, "momentum": 0.5, "grad_clip": 0.5},
    {"optimizer": "nesterov", "lr": 0.02, "momentum": 0.9, "epochs": 2, "l1": 1e-3},
]


def named(*modules: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(str(i), m) for i, m in enumerate(modules)]


def test_the_sliced_layers_end_at_the_flatten_a_batch_norm_or_a_dropout() -> None:
    conv, pool, relu, flat = nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten()
    assert per_image_prefix(named(conv, pool, relu, nn.Conv2d(4, 8, 3), nn.AvgPool2d(2), nn.GELU(), flat,
                                  nn.Linear(8, 2))) == 6
    assert per_image_prefix(named(conv, nn.BatchNorm2d(4), relu, flat)) == 1  # statistics of the whole batch
    assert per_image_prefix(named(conv, relu, nn.Dropout(0.2), flat)) == 2  # a mask drawn over the whole batch
    assert per_image_prefix(named(flat, nn.Linear(4, 2), relu)) == 0  # an MLP: nothing to slice
    assert per_image_prefix(named(relu, pool, flat)) == 0  # no convolution: not worth a slice


def test_the_largest_activation_is_counted_from_the_layers_shapes() -> None:
    ops = named(nn.Conv2d(1, 8, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(8, 32, 3, padding=1))
    assert largest_activation(ops, (1, 28, 28)) == 8 * 28 * 28  # the first convolution's, not the wider later one
    ops.append(("5", nn.Conv2d(32, 64, 3, padding=1)))
    assert largest_activation(ops, (1, 28, 28)) == 64 * 14 * 14


def test_a_batch_is_cut_into_the_fewest_even_slices_within_the_budget() -> None:
    image = 8 * 28 * 28  # numbers of the first convolution's output, 25 kB in float32
    assert slice_rows(64, image, members=16, itemsize=4, budget=8 << 20) == 16  # 4 slices of 6.4 MB
    assert slice_rows(64, image, members=16, itemsize=4, budget=6 << 20) == 13  # 5 slices: 13, 13, 13, 13, 12
    assert slice_rows(64, image, members=4, itemsize=4, budget=8 << 20) == 64  # 6.4 MB: the batch whole
    assert slice_rows(64, image, members=16, itemsize=2, budget=8 << 20) == 32  # half the bytes in bfloat16
    assert slice_rows(64, 10**9, members=64, itemsize=4) == 1  # never an empty slice


def sliced_and_whole(splits: Splits, base: dict[str, Any]) -> tuple[Stack, Stack]:
    pair = []
    for budget in (1, 1 << 40):  # one image a slice; the whole batch at once
        stack = Stack({**base, **MEMBERS[0]}, splits, capacity=len(MEMBERS) + 1, seed=3)
        stack.net.slice_bytes = budget
        for i, member in enumerate(MEMBERS):
            stack.add({**base, **member}, seed=i)
        pair.append(stack)
    return pair[0], pair[1]


@pytest.mark.parametrize("pool", ["max", "avg", "none"])
def test_a_sliced_stack_trains_as_the_whole_batch_does(digits_images: Splits, pool: str) -> None:
    base = {"model": "cnn", "conv_layers": 2, "filters": 4, "units": 16, "batch_size": 32, "epochs": 2,
            "pool": pool, "dropout": 0.2}
    sliced, whole = sliced_and_whole(digits_images, base)
    conv = next(m for _, m in sliced.net.ops if isinstance(m, nn.Conv2d))
    hooked: list[str] = []  # a hook on the template's layer: the slices' shape count must not reach it
    handle = conv.register_forward_pre_hook(lambda _, args: hooked.append(args[0].device.type))
    calls: list[int] = []
    original = sliced.net._layers
    sliced.net._layers = lambda ops, x, *rest: calls.append(len(x)) or original(ops, x, *rest)  # type: ignore[method-assign]
    for _ in range(2):
        ended_sliced, ended_whole = sliced.run_epoch(), whole.run_epoch()
        assert [r.key for r in ended_sliced] == [r.key for r in ended_whole]
        for slot in sliced.members:
            a, b = sliced.members[slot].history[-1], whole.members[slot].history[-1]
            for key in ("train_loss", "val_loss", "value"):
                assert a[key] == pytest.approx(b[key], rel=1e-4), key
    handle.remove()
    assert calls.count(1) > 100  # the training and validation batches went one image at a time
    assert "meta" not in hooked
    for name, p in sliced.net.params.items():
        torch.testing.assert_close(p.detach(), whole.net.params[name].detach(), rtol=1e-4, atol=1e-5, msg=name)


def test_a_batch_norm_stack_slices_only_what_comes_before_it(digits_images: Splits) -> None:
    base = {"model": "cnn", "conv_layers": 1, "filters": 4, "units": 8, "batch_size": 16, "epochs": 1,
            "batchnorm": True}
    sliced, whole = sliced_and_whole(digits_images, base)
    assert sliced.net.per_image == 1  # the convolution, then the batch norm over the whole batch
    sliced.run_epoch(), whole.run_epoch()
    for slot in sliced.members:
        assert sliced.members[slot].history[-1]["val_loss"] == pytest.approx(
            whole.members[slot].history[-1]["val_loss"], rel=1e-4)
