"""The stacked network's kernels against their plain forms."""

from __future__ import annotations

import torch
from torch import nn

from nntune.train.stack_models import StackedLinear, relu_after_max_pool


def test_relu_moves_after_max_pooling_with_the_same_outputs_and_gradients() -> None:
    ops = [("conv", nn.Conv2d(2, 3, 3, padding=1)), ("act", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
           ("act2", nn.ReLU()), ("avg", nn.AvgPool2d(2)), ("tanh", nn.Tanh()), ("pool2", nn.MaxPool2d(2))]
    moved = relu_after_max_pool(ops)
    assert [n for n, _ in moved] == ["conv", "pool", "act", "act2", "avg", "tanh", "pool2"]
    x = torch.randn(4, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    grads = []
    for order in (ops, moved):
        xi = x.clone().requires_grad_(True)
        out = xi
        for _, module in order:
            out = module(out)
        out.pow(2).sum().backward()
        grads.append((out.detach(), xi.grad))
    assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])


def test_stacked_linear_gradients_match_autograd_and_keep_the_weight_layout() -> None:
    gen = torch.Generator().manual_seed(1)
    x, w, b = (torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=True)
               for shape in ((3, 5, 4), (3, 6, 4), (3, 6)))
    torch.autograd.gradcheck(StackedLinear.apply, (x, w, b))
    StackedLinear.apply(x, w, b).sum().backward()
    assert w.grad is not None and w.grad.is_contiguous() and w.grad.shape == w.shape


def test_stacked_linear_with_its_relu_matches_the_two_steps_apart() -> None:
    gen = torch.Generator().manual_seed(2)
    x, w, b = (torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=True)
               for shape in ((3, 5, 4), (3, 6, 4), (3, 6)))
    torch.autograd.gradcheck(lambda *t: StackedLinear.apply(*t, True), (x, w, b))
    fused = StackedLinear.apply(x, w, b, True)
    apart = torch.relu(StackedLinear.apply(x, w, b))
    assert torch.equal(fused, apart) and bool((fused == 0).any()) and bool((fused > 0).any())
    grads = [torch.autograd.grad(out.pow(2).sum(), (x, w, b)) for out in (fused, apart)]
    assert all(torch.equal(g, h) for g, h in zip(*grads))
