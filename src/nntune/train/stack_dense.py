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

It serves the networks whose layers are all dense ones, their activations (ReLU, leaky
ReLU, ELU, tanh, sigmoid, GELU), dropout and a flatten, with cross-entropy
(classification) or squared error (regression) as the loss; anything else (batch norm,
convolutions, mixed precision, the probed step that measures activations) takes the
autograd path (:func:`dense_plan` says which).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nntune.train.stack_models import StackedNet, stacked_product

# The losses whose gradient is written out below, by the stack's task.
DENSE_LOSSES = {"classification": "cross_entropy", "regression": "mse"}


# The activations written out below: each runs in place on its layer's output where it can.
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.Tanh, nn.Sigmoid, nn.GELU)
Plan = list[tuple[str, nn.Module | None, str | None]]


def dense_plan(ops: Sequence[tuple[str, nn.Module]], loss: str, task: str) -> Plan | None:
    """The layers of a plain dense network as (dense layer's name, the activation after it
    or None, the dropout after that or None), or None when ``ops`` or the loss need the
    autograd path."""
    if DENSE_LOSSES.get(task) != loss:
        return None
    plan: Plan = []
    for name, module in ops:
        if isinstance(module, nn.Linear):
            plan.append((name, None, None))
        elif isinstance(module, ACTIVATIONS) and plan and plan[-1][1] is None and plan[-1][2] is None \
                and getattr(module, "negative_slope", 0) >= 0 and getattr(module, "alpha", 0) >= 0:
            # (their backward from the output needs a slope and alpha of at least 0)
            plan[-1] = (plan[-1][0], module, None)
        elif isinstance(module, nn.Dropout) and plan and plan[-1][2] is None:
            plan[-1] = (plan[-1][0], plan[-1][1], name)
        elif not (isinstance(module, nn.Flatten) and not plan):
            return None
    return plan if plan else None


def activate(act: nn.Module, h: Tensor) -> tuple[Tensor, Tensor]:
    """``act`` of a layer's fresh output ``h`` (overwritten where the activation's backward
    reads its output), and what its backward reads: the output, or GELU's input."""
    if isinstance(act, nn.GELU):
        return F.gelu(h, approximate=act.approximate), h
    if isinstance(act, nn.ReLU):
        out = h.relu_()
    elif isinstance(act, nn.LeakyReLU):
        out = F.leaky_relu_(h, act.negative_slope)
    elif isinstance(act, nn.ELU):
        out = F.elu_(h, act.alpha)
    elif isinstance(act, nn.Tanh):
        out = h.tanh_()
    else:
        out = h.sigmoid_()
    return out, out


def activation_grad(act: nn.Module, grad: Tensor, saved: Tensor) -> Tensor:
    """The gradient through ``act``, by its own backward (read from its output, or GELU's input)."""
    aten = torch.ops.aten
    if isinstance(act, nn.ReLU):
        return aten.threshold_backward(grad, saved, 0)
    if isinstance(act, nn.LeakyReLU):  # a positive slope keeps the input's sign in the output
        return aten.leaky_relu_backward(grad, saved, act.negative_slope, True)
    if isinstance(act, nn.ELU):
        return aten.elu_backward(grad, act.alpha, 1.0, 1.0, True, saved)
    if isinstance(act, nn.Tanh):
        return aten.tanh_backward(grad, saved)
    if isinstance(act, nn.Sigmoid):
        return aten.sigmoid_backward(grad, saved)
    return aten.gelu_backward(grad, saved, approximate=act.approximate)


@torch.no_grad()
def dense_step(net: StackedNet, plan: Plan, x: Tensor, y: Tensor, mask: Tensor,
               generator: torch.Generator | None = None, l1: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Forward and backward of every slot on its batch ``x`` [K, batch, features] with
    targets ``y``: each slot's mean loss [K] and its outputs, and the gradients of the
    slots where ``mask`` is 1 (0 elsewhere) left in the parameters' ``grad``, as
    ``(loss * mask).sum().backward()`` leaves them; with ``l1`` [K], each slot's L1 penalty
    on its weights added as the autograd path adds it (``l1[k] * |w|`` summed, unmasked)."""
    k = net.capacity
    saved: list[tuple[Tensor, Tensor | None, Tensor | None]] = []  # each layer's input, activation's, dropout mask
    h = x.reshape(k, x.shape[1], -1)
    keep = (1 - net.dropout).view(k, 1, 1) if net.any_dropout else None  # each member's keep rate
    for name, act, dropout in plan:
        inp = h
        h = stacked_product(inp, net.params[f"{name}.weight"].transpose(1, 2)).add_(net.params[f"{name}.bias"].unsqueeze(1))
        for_act = None
        if act is not None:
            h, for_act = activate(act, h)
        kept = None
        if dropout is not None and keep is not None:  # drawn and applied as the autograd path does
            kept = torch.rand(h.shape, device=h.device, generator=generator) < keep
            h = h * kept / keep
        saved.append((inp, for_act, kept))
    loss, grad = loss_and_grad(h, y, mask)
    for i in range(len(plan) - 1, -1, -1):
        (name, act, _), (inp, for_act, kept) = plan[i], saved[i]
        if kept is not None and keep is not None:
            grad = grad / keep * kept
        if act is not None and for_act is not None:
            grad = activation_grad(act, grad, for_act)
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
