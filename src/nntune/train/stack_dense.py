"""A stack of plain dense networks trained without autograd: the forward pass, the loss and
its gradient, and the backward pass written out as the few batched products they are.

A digits MLP's step is small (about 10 MFLOP a member), so what runs around the products
weighs: autograd's engine walks a graph of a dozen nodes every step, and each node is
Python to call and a lock to take, paid once per shard when a stack trains as several
shards on threads of one process (:mod:`nntune.train.stack_run`). Here the step is the
products and a handful of in-place operations, in the order the autograd path runs them
(:class:`~nntune.train.stack_models.StackedLinear` and the loss's own backward), so the
two give the same gradients up to float rounding; the tests hold them equal. Measured on
one thread of the 2-core Zen 4 machine on a digits MLP's shapes (64-128-128-10, batch 64),
170 steps, the best of 5: 16 members 0.74 s against 0.82 s through autograd, one member
0.42 ms a step against 0.69 ms.

It serves the networks whose layers are all dense ones, ReLUs, dropout and a flatten, with
cross-entropy (classification) or squared error (regression) as the loss; anything else
(batch norm, other activations, convolutions, mixed precision, the probed step that
measures activations) takes the autograd path (:func:`dense_plan` says which).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nntune.train.stack_models import StackedNet, stacked_product

# The losses whose gradient is written out below, by the stack's task.
DENSE_LOSSES = {"classification": "cross_entropy", "regression": "mse"}


def dense_plan(ops: Sequence[tuple[str, nn.Module]], loss: str, task: str) -> list[tuple[str, bool, str | None]] | None:
    """The layers of a plain dense network as (dense layer's name, ReLU after it, the dropout
    after that or None), or None when ``ops`` or the loss need the autograd path."""
    if DENSE_LOSSES.get(task) != loss:
        return None
    plan: list[tuple[str, bool, str | None]] = []
    for name, module in ops:
        if isinstance(module, nn.Linear):
            plan.append((name, False, None))
        elif isinstance(module, nn.ReLU) and plan and not plan[-1][1] and plan[-1][2] is None:
            plan[-1] = (plan[-1][0], True, None)
        elif isinstance(module, nn.Dropout) and plan and plan[-1][2] is None:
            plan[-1] = (plan[-1][0], plan[-1][1], name)
        elif not (isinstance(module, nn.Flatten) and not plan):
            return None
    return plan if plan else None


@torch.no_grad()
def dense_step(net: StackedNet, plan: Sequence[tuple[str, bool, str | None]], x: Tensor, y: Tensor, mask: Tensor,
               generator: torch.Generator | None = None, l1: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Forward and backward of every slot on its batch ``x`` [K, batch, features] with
    targets ``y``: each slot's mean loss [K] and its outputs, and the gradients of the
    slots where ``mask`` is 1 (0 elsewhere) left in the parameters' ``grad``, as
    ``(loss * mask).sum().backward()`` leaves them; with ``l1`` [K], each slot's L1 penalty
    on its weights added as the autograd path adds it (``l1[k] * |w|`` summed, unmasked)."""
    k = net.capacity
    saved: list[tuple[Tensor, Tensor | None, Tensor | None]] = []  # each layer's input, ReLU output, dropout mask
    h = x.reshape(k, x.shape[1], -1)
    keep = (1 - net.dropout).view(k, 1, 1)
    for name, relu, dropout in plan:
        inp = h
        h = stacked_product(inp, net.params[f"{name}.weight"].transpose(1, 2)).add_(net.params[f"{name}.bias"].unsqueeze(1))
        if relu:
            h.relu_()
        after_relu = h if relu else None
        kept = None
        if dropout is not None and net.any_dropout:  # drawn and applied as the autograd path does
            kept = torch.rand(h.shape, device=h.device, generator=generator) < keep
            h = h * kept / keep
        saved.append((inp, after_relu, kept))
    loss, grad = loss_and_grad(h, y, mask)
    for i in range(len(plan) - 1, -1, -1):
        name, (inp, after_relu, kept) = plan[i][0], saved[i]
        if kept is not None:
            grad = grad / keep * kept
        if after_relu is not None:
            grad = torch.ops.aten.threshold_backward(grad, after_relu, 0)  # ReLU's own backward
        w = net.params[f"{name}.weight"]
        w.grad = torch.bmm(grad.transpose(1, 2), inp)
        if l1 is not None:  # abs's own backward: the sign, 0 at 0
            w.grad.addcmul_(w.detach().sign(), l1.view(k, 1, 1))
        net.params[f"{name}.bias"].grad = grad.sum(1)
        if i > 0:  # the input's gradient: none for the batch itself
            grad = stacked_product(grad, w)
    return loss, h


def loss_and_grad(out: Tensor, y: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Each slot's mean loss [K] and the gradient of ``(loss * mask).sum()`` in ``out``:
    cross-entropy on class indices ``y`` [K, batch], or the squared error on targets of
    ``out``'s shape."""
    k, batch = out.shape[0], out.shape[1]
    if y.dtype == torch.long:
        logp = F.log_softmax(out, -1)
        loss = -logp.gather(2, y.unsqueeze(-1)).reshape(k, batch).mean(1)
        grad = logp.exp_()  # softmax, less 1 at each target, over the batch
        grad.scatter_add_(2, y.unsqueeze(-1), grad.new_full((k, batch, 1), -1.0))
        return loss, grad.mul_((mask / batch).view(k, 1, 1))
    diff = out - y.view_as(out)
    per_member = diff[0].numel()
    loss = diff.pow(2).reshape(k, -1).mean(1)
    return loss, diff.mul_((2 * mask / per_member).view(k, *[1] * (out.dim() - 1)))
