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
        device = self.device = self.params[0].device
        # Each member's hyperparameters, held on the host: a member added or changed writes
        # a few numbers there and reads none back, where writing into device tensors and
        # checking which terms are in use made a CUDA stack launch a kernel per number and
        # wait on the device each time. The device's copy (hd) is made when a step needs it.
        self.h = {name: torch.full((self.capacity,), value, dtype=torch.float64) for name, value in NEUTRAL.items()}
        self.hd: dict[str, Tensor] = {}
        self.steps = torch.zeros(self.capacity, dtype=torch.float64, device=device)
        self.state = [{name: torch.zeros_like(p) for name in STATE[family]} for p in self.params]
        self._cached: dict[str, Tensor] | None = None
        self._shaped: dict[int, dict[str, Tensor]] = {}
        self._refresh()

    def _refresh(self) -> None:
        """Which optional terms any member uses, kept on the host: reading them from the
        device every step would make a CUDA stack wait on each one. Drops the step
        coefficients computed from the old values."""
        self.uses = {name: bool((self.h[name] > 0).any()) for name in ("grad_clip", "decoupled_wd", "coupled_wd", "nesterov")}
        self._cached = None
        self._stale = True

    def _device_h(self) -> dict[str, Tensor]:
        """The hyperparameters on the parameters' device, copied there after any change (a
        host-to-device copy that does not wait for the kernels queued before it)."""
        if self._stale:
            self.hd = {name: t.to(self.device, non_blocking=True) for name, t in self.h.items()}
            self._stale = False
        return self.hd

    # ------------------------------------------------------------ members

    def set_member(self, slot: int, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self.h[name][slot] = value
        self._refresh()

    def set_lr(self, slot: int, lr: float) -> None:
        self.h["lr"][slot] = lr  # the lr needs no host flag: a zero rate costs nothing extra
        self._cached, self._stale = None, True

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
        self._refresh()
        for state in self.state:
            for tensor in state.values():
                tensor[dst] = tensor[src]

    def reindex(self, index: Tensor, params: Sequence[Tensor]) -> None:
        """Follow :meth:`StackedNet.reindex`: keep the listed slots, -1 being a fresh free slot."""
        on_host = index.clamp(min=0), index < 0  # the hyperparameters' slots
        on_device = on_host[0].to(self.device), on_host[1].to(self.device)  # the state's

        def take(t: Tensor, fill: float = 0.0) -> Tensor:
            keep, fresh = on_host if t.device == on_host[0].device else on_device
            out = t[keep].clone()
            out[fresh] = fill
            return out

        self.h = {name: take(t, NEUTRAL[name]) for name, t in self.h.items()}
        self.steps = take(self.steps)
        self.state = [{name: take(t) for name, t in state.items()} for state in self.state]
        self.params = list(params)
        self.capacity = len(index)
        self._refresh()

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
        if not self.uses["grad_clip"]:
            return
        clip = self._device_h()["grad_clip"]
        grads = [p.grad for p in self.params if p.grad is not None]
        total = torch.stack([g.double().pow(2).reshape(self.capacity, -1).sum(1) for g in grads]).sum(0).sqrt()
        coef = torch.where(clip > 0, (clip / (total + 1e-6)).clamp(max=1.0), torch.ones_like(total))
        for g in grads:
            g.mul_(self._view(coef, g))

    def _coefficients(self) -> dict[str, Tensor]:
        """This step's per-member factors, computed in float64 and cast to the parameters'
        dtype, so each parameter's update is a few fused in-place operations. Only Adam's
        bias corrections change from step to step; the rest is kept until a member's
        hyperparameters change."""
        if self._cached is None:
            self._cached = self._constant_coefficients()
        if self.family != "adam":
            return self._cached
        h, dtype = self._device_h(), self.params[0].dtype
        return {**self._cached, "neg_step": (-h["lr"] / (1 - h["beta1"] ** self.steps)).to(dtype),
                "bias2_sqrt": (1 - h["beta2"] ** self.steps).sqrt().to(dtype)}

    def _constant_coefficients(self) -> dict[str, Tensor]:
        h, uses = self._device_h(), self.uses
        c = {"neg_lr": -h["lr"]}
        if uses["decoupled_wd"]:
            c["shrink"] = 1 - h["lr"] * h["decoupled_wd"]
        if uses["coupled_wd"]:
            c["wd"] = h["coupled_wd"]
        if self.family == "sgd":
            c["momentum"] = h["momentum"]
            if uses["nesterov"]:
                c["nesterov"] = h["nesterov"]
        elif self.family == "adam":
            c |= {"beta1_c": 1 - h["beta1"], "beta2": h["beta2"], "beta2_c": 1 - h["beta2"], "eps": h["eps"]}
        elif self.family == "rmsprop":
            c |= {"rho": h["rho"], "rho_c": 1 - h["rho"], "eps": h["eps"]}
        else:
            c["eps"] = h["eps"]
        return {name: value.to(self.params[0].dtype) for name, value in c.items()}

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        family = self.family
        fresh = self._cached is None or family == "adam"  # Adam's bias corrections change every step
        flat = self._coefficients()
        if fresh:  # the views by parameter rank are kept with the coefficients they view
            self._shaped = {}
        shaped = self._shaped
        for p, decay, state in zip(self.params, self.decay, self.state):
            g = p.grad
            if g is None:
                continue
            if p.dim() not in shaped:
                shape = (self.capacity, *[1] * (p.dim() - 1))
                shaped[p.dim()] = {name: value.view(shape) for name, value in flat.items()}
            c = shaped[p.dim()]
            if decay and "shrink" in c:
                p.mul_(c["shrink"])
            if decay and "wd" in c:
                g = g.addcmul_(p, c["wd"])  # the gradient is the optimizer's to use up: zero_grad drops it
            if family == "sgd":
                buf = state["momentum_buffer"]
                torch.addcmul(g, buf, c["momentum"], out=buf)  # one pass where mul_ then add_ took two
                d = buf
                if "nesterov" in c:
                    d = torch.where(c["nesterov"] > 0, torch.addcmul(g, buf, c["momentum"]), buf)
                p.addcmul_(d, c["neg_lr"])
            elif family == "adam":
                state["exp_avg"].lerp_(g, c["beta1_c"])
                state["exp_avg_sq"].mul_(c["beta2"]).addcmul_(g * c["beta2_c"], g)
                denom = state["exp_avg_sq"].sqrt().div_(c["bias2_sqrt"]).add_(c["eps"])
                p.addcmul_(torch.div(state["exp_avg"], denom, out=denom), c["neg_step"])
            elif family == "rmsprop":
                sq = state["square_avg"]
                sq.mul_(c["rho"]).addcmul_(g * c["rho_c"], g)
                denom = sq.sqrt().add_(c["eps"])
                p.addcmul_(torch.div(g, denom, out=denom), c["neg_lr"])
            else:
                acc = state["sum"]
                acc.addcmul_(g, g)
                denom = acc.sqrt().add_(c["eps"])
                p.addcmul_(torch.div(g, denom, out=denom), c["neg_lr"])
