"""A stacked CNN's first layers run a slice of the batch at a time on the CPU.

A stack of K CNNs holds K times one model's activations: at K = 16 the first convolution's
output for a batch of 64 digits is 26 MB, which a CPU's caches do not hold, so the
convolution writes it to memory, the pooling reads it back, and the backward pass does the
same with its gradient. The layers before the flatten that act on each image alone
(convolutions, pooling, element-wise activations) give the same numbers whether they see
the whole batch or a slice of it, so the stack runs them a few images at a time: each
slice's activations stay in the caches from the convolution to the pooling, forward and
backward (autograd runs each slice's backward nodes together). Measured on one thread of a
2-core AMD EPYC (1 MB L2 a core, 32 MB L3), ``benchmarks/stack_slices.py``: a training
step of the benchmark CNN 72 ms against 85 ms whole at K = 16, 148 against 165 ms at
K = 32. The first block's pooling and its zero fills shrank most (their backward 18.5 to
4.7 ms a step at K = 16); the convolutions, two thirds of the sliced step, cost per member
what a solo model's do, sliced or not. Batch norm needs the whole batch's statistics and
dropout draws its mask over the whole batch, so the slicing stops before either.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

# The most one slice's largest activation may hold, in bytes. Whole training steps at
# K = 4, 16 and 32 (stack_slices.py, budgets of 0.5 to 12 MB) ran fastest at 4-8 MB, 1.11-
# 1.18x the whole batch; 0.5-1 MB slowed them (many small calls), 12 MB gained less. A stack
# whose whole batch fits (K = 4 CNNs on 28 x 28 images: 6.4 MB) is not cut.
SLICE_BYTES = 8 << 20
PER_IMAGE = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid)


def per_image_prefix(ops: Sequence[tuple[str, nn.Module]]) -> int:
    """How many of ``ops``, from the first, act on each image alone: up to the flatten, a
    batch norm or a dropout. 0 when they hold no convolution (nothing worth slicing)."""
    n = 0
    for _, module in ops:
        if not isinstance(module, PER_IMAGE):
            break
        n += 1
    return n if any(isinstance(m, nn.Conv2d) for _, m in ops[:n]) else 0


def largest_activation(ops: Sequence[tuple[str, nn.Module]], image: Sequence[int]) -> int:
    """The most numbers any of ``ops`` puts out for one image of shape ``image`` [C, H, W],
    in one model (shapes only: copies of the layers run on torch's meta device, through
    ``forward`` so that no hook of the user's sees them)."""
    x = torch.empty(1, *image, device="meta")
    most = 0
    for _, module in ops:
        x = copy.deepcopy(module).to("meta").forward(x)
        most = max(most, x.numel())
    return most


def slice_rows(batch: int, numbers_per_image: int, members: int, itemsize: int, budget: int = SLICE_BYTES) -> int:
    """Images per slice of a batch of ``batch``: the batch cut into as few even slices as
    keep the stack's largest activation within ``budget`` bytes (``batch``: not cut)."""
    per_image = max(1, numbers_per_image * members * itemsize)
    slices = min(batch, -(-batch * per_image // budget))  # ceil
    return -(-batch // max(1, slices))


__all__ = ["PER_IMAGE", "SLICE_BYTES", "largest_activation", "per_image_prefix", "slice_rows"]
