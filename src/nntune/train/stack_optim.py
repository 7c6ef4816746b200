"""Fused optimizers for stacked models: one update for K members, each with its own hyperparameters.

Every hyperparameter is a per-member tensor [K] broadcast over the member axis of each
stacked parameter, so members of one stack may differ in lr, momentum, nesterov, betas,
eps, rho, coupled or decoupled weight decay and gradient clipping. The updates follow
``torch.optim``'s own (single-tensor) formulas: SGD with momentum and Nesterov, Adam and
AdamW, RMSprop, Adagrad; the tests hold them equal to K separate ``torch.optim`` instances.

A member's hyperparameters are read from a solo optimizer built by
:func:`nntune.train.optim.build_optimizer` (see :meth:`StackedOptimizer.set_member`), so
the rules that turn a params dict into optimizer settings live in one place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

FAMILIES = ("sgd", "adam", "rmsprop", "adagrad")
STATE = {"sgd": ("momentum_buffer",), "adam": ("exp_avg", "exp_avg_sq"), "rmsprop": ("square_avg",), "adagrad": ("sum",)}
# A free slot gets these: with zero gradients they leave its (zero) weights unchanged and never divide by 0.
NEUTRAL = {"lr": 0.0, "momentum": 0.0, "nesterov": 0.0, "beta1": 0.9, "beta2": 0.999, "eps": 1.0, "rho": 0.99,
           "coupled_wd": 0.0, "decoupled_wd": 0.0, "grad_clip": 0.0}


def member_hyperparams(optimizer: torch.optim.Optimizer, grad_clip: float) -> dict[str, float]:
    """The per-member values a solo optimizer (built by ``build_optimizer``) carries."""
    group = next((g for g in optimizer.param_groups if g.get("decay", True)), optimizer.param_groups[0])
    adamw = isinstance(optimizer, torch.optim.AdamW)
    beta1, beta2 = group.get("betas", (NEUTRAL["beta1"], NEUTRAL["beta2"]))
    return {
        "lr": float(group["lr"]) / group.get("lr_mult", 1.0),
        "momentum": float(group.get("momentum", 0.0)),
        "nesterov": float(bool(group.get("nesterov", False))),
        "beta1": float(beta1),
        "beta2": float(beta2),
        "eps": float(group.get("eps", NEUTRAL["eps"])),
        "rho": float(group.get("alpha", NEUTRAL["rho"])),
        "coupled_wd": 0.0 if adamw else float(group.get("weight_decay", 0.0)),
        "decoupled_wd": float(group.get("weight_decay", 0.0)) if adamw else float(group.get("decoupled_decay", 0.0)),
        "grad_clip": float(grad_clip),
    }


class StackedOptimizer:
    """One optimizer family over stacked parameters [K, ...]; ``decay[i]`` says whether
    weight decay applies to parameter i (weights and kernels, never biases or norms)."""

    def __init__(self, params: Sequence[Tensor], decay: Sequence[bool], family: str) -> None:
        if family not in FAMILIES:
            raise ValueError(f"unknown optimizer family {family!r}")
        self.family = family
        self.params = list(params)
        self.decay = list(decay)
        self.capacity = self.params[0].shape[0]
        device = self.params[0].device
        self.h = {name: torch.full((self.capacity,), value, dtype=torch.float64, device=device)
                  for name, value in NEUTRAL.items()}
        self.steps = torch.zeros(self.capacity, dtype=torch.float64, device=device)
        self.state = [{name: torch.zeros_like(p) for name in STATE[family]} for p in self.params]

    # ------------------------------------------------------------ members

    def set_member(self, slot: int, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self.h[name][slot] = value

    def set_lr(self, slot: int, lr: float) -> None:
        self.h["lr"][slot] = lr

    def reset_member(self, slot: int) -> None:
        """Fresh optimizer state for ``slot`` (step count, momentum buffers, moments)."""
        self.steps[slot] = 0
        for state in self.state:
            for tensor in state.values():
                tensor[slot] = 0

    def clear_member(self, slot: int) -> None:
        self.reset_member(slot)
        self.set_member(slot, NEUTRAL)

    def copy_member(self, src: int, dst: int) -> None:
        """Member ``dst`` takes ``src``'s hyperparameters and optimizer state."""
        self.steps[dst] = self.steps[src]
        for tensor in self.h.values():
            tensor[dst] = tensor[src]
        for state in self.state:
            for tensor in state.values():
                tensor[dst] = tensor[src]

    def reindex(self, index: Tensor, params: Sequence[Tensor]) -> None:
        """Follow :meth:`StackedNet.reindex`: keep the listed slots, -1 being a fresh free slot."""
        keep = index.clamp(min=0).to(self.steps.device)
        fresh = (index < 0).to(self.steps.device)

        def take(t: Tensor, fill: float = 0.0) -> Tensor:
            out = t[keep].clone()
            out[fresh] = fill
            return out

        self.h = {name: take(t, NEUTRAL[name]) for name, t in self.h.items()}
        self.steps = take(self.steps)
        self.state = [{name: take(t) for name, t in state.items()} for state in self.state]
        self.params = list(params)
        self.capacity = len(index)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    # ------------------------------------------------------------ the update

    def _view(self, values: Tensor, like: Tensor) -> Tensor:
        return values.to(like.dtype).view(self.capacity, *[1] * (like.dim() - 1))

    @torch.no_grad()
    def clip_grad_norms(self) -> None:
        """Scale each member's gradients to at most its own ``grad_clip`` (0: off), as
        ``torch.nn.utils.clip_grad_norm_`` would for that member alone."""
        clip = self.h["grad_clip"]
        if not bool((clip > 0).any()):
            return
        grads = [p.grad for p in self.params if p.grad is not None]
        total = torch.stack([g.double().pow(2).reshape(self.capacity, -1).sum(1) for g in grads]).sum(0).sqrt()
        coef = torch.where(clip > 0, (clip / (total + 1e-6)).clamp(max=1.0), torch.ones_like(total))
        for g in grads:
            g.mul_(self._view(coef, g))

    @torch.no_grad()
    def step(self) -> None:
        h, family = self.h, self.family
        self.steps += 1
        lr = h["lr"]
        shrink = 1 - lr * h["decoupled_wd"]
        any_decoupled, any_coupled = bool((h["decoupled_wd"] > 0).any()), bool((h["coupled_wd"] > 0).any())
        if family == "adam":
            step_size = lr / (1 - h["beta1"] ** self.steps)
            bias2_sqrt = (1 - h["beta2"] ** self.steps).sqrt()
        for p, decay, state in zip(self.params, self.decay, self.state):
            g = p.grad
            if g is None:
                continue
            v = lambda t: self._view(t, p)  # noqa: E731
            if decay and any_decoupled:
                p.mul_(v(shrink))
            if decay and any_coupled:
                g = g.add(p * v(h["coupled_wd"]))
            if family == "sgd":
                buf = state["momentum_buffer"]
                buf.mul_(v(h["momentum"])).add_(g)
                d = buf
                if bool((h["nesterov"] > 0).any()):
                    d = torch.where(v(h["nesterov"]) > 0, g + buf * v(h["momentum"]), buf)
                p.sub_(d * v(lr))
            elif family == "adam":
                state["exp_avg"].lerp_(g, v(1 - h["beta1"]))
                state["exp_avg_sq"].mul_(v(h["beta2"])).add_(g * g * v(1 - h["beta2"]))
                denom = (state["exp_avg_sq"].sqrt() / v(bias2_sqrt)).add_(v(h["eps"]))
                p.sub_(state["exp_avg"] / denom * v(step_size))
            elif family == "rmsprop":
                sq = state["square_avg"]
                sq.mul_(v(h["rho"])).add_(g * g * v(1 - h["rho"]))
                p.sub_(g / sq.sqrt().add_(v(h["eps"])) * v(lr))
            else:
                acc = state["sum"]
                acc.add_(g * g)
                p.sub_(g / acc.sqrt().add_(v(h["eps"])) * v(lr))


def family_of(optimizer: str) -> str:
    from nntune.train.stack_models import OPTIMIZER_FAMILY

    return OPTIMIZER_FAMILY[optimizer]


def finite(values: Tensor) -> list[bool]:
    return [math.isfinite(v) for v in values.tolist()]
