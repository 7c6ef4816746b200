"""Weight initializers and optimizers; the learning-rate schedules they run under are
:mod:`nntune.train.schedules`'s, re-exported here with the settings of
:mod:`nntune.train.optim_settings`.

Weight decay comes in two modes, chosen by ``weight_decay_mode``:

* ``"coupled"`` (the default for every optimizer except ``adamw``): lambda * theta is added
  to the gradient, i.e. the loss is L + lambda/2 * ||w||^2. With plain SGD this is the
  update theta <- (1 - lr*lambda) theta - lr*grad; with adaptive optimizers the decay is
  rescaled by their per-parameter step size.
* ``"decoupled"`` (the default, and the only mode, for ``adamw``): the weights shrink by
  (1 - lr*lambda) before the optimizer's own step, whatever the optimizer is:
  theta <- (1 - lr*lambda) theta - lr*update.

Decay applies to weight matrices and convolution kernels only (tensors with two or more
dimensions), never to biases or batch-norm scales and shifts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.models import is_head_parameter
from nntune.train.optim_settings import (INITS, OPTIM_DEFAULTS, OPTIMIZERS, SCHEDULES, SGD_LIKE, default_lr,
                                         fraction, number, pick)
from nntune.train.schedules import EXPONENTIAL_GAMMA, SCHEDULE_SETTINGS, GroupCosineLR, LrSchedule, floors


# ---------------------------------------------------------------- initializers


def init_tensor(weight: torch.Tensor, scheme: str, std: float, generator: torch.Generator | None) -> None:
    """Fill ``weight`` in place; ``n`` is the fan-in (inputs per output unit).

    Xavier follows the lecture notes' convention std = 1/sqrt(n) (not PyTorch's
    sqrt(2/(fan_in+fan_out))); He uses std = sqrt(2/n); the uniform variants use the bound
    sqrt(3)*std so that they have the same standard deviation as their normal twins.
    """
    n = weight[0].numel()
    with torch.no_grad():
        if scheme == "zeros":
            weight.zero_()
        elif scheme == "normal":
            weight.normal_(0.0, std, generator=generator)
        elif scheme == "xavier_normal":
            weight.normal_(0.0, 1.0 / math.sqrt(n), generator=generator)
        elif scheme == "xavier_uniform":
            bound = math.sqrt(3.0 / n)
            weight.uniform_(-bound, bound, generator=generator)
        elif scheme == "he_normal":
            weight.normal_(0.0, math.sqrt(2.0 / n), generator=generator)
        elif scheme == "he_uniform":
            bound = math.sqrt(6.0 / n)
            weight.uniform_(-bound, bound, generator=generator)
        elif scheme == "uniform_inv_n2":
            weight.uniform_(-1.0 / n**2, 1.0 / n**2, generator=generator)


def init_weights(model: nn.Module, params: Mapping[str, Any], *, generator: torch.Generator | None = None) -> None:
    """Initialize every Linear/Conv weight by ``params["init"]``; biases start at 0.

    ``default`` keeps PyTorch's own initialization (biases included). ``normal`` uses
    ``init_std`` (default 0.01).
    """
    scheme = pick(params, "init", INITS)
    if scheme == "default":
        return
    std = number(params, "init_std", OPTIM_DEFAULTS["init_std"])
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            init_tensor(module.weight, scheme, std, generator)
            if module.bias is not None:
                with torch.no_grad():
                    module.bias.zero_()


# ---------------------------------------------------------------- optimizers


def weight_decay_mode(params: Mapping[str, Any]) -> str:
    name = pick(params, "optimizer", OPTIMIZERS)
    mode = params.get("weight_decay_mode") or ("decoupled" if name == "adamw" else "coupled")
    if mode not in ("coupled", "decoupled"):
        raise ConfigError("weight_decay_mode", f"unknown {mode!r}; choose from coupled, decoupled")
    if name == "adamw" and mode == "coupled":
        raise ConfigError("weight_decay_mode", "adamw always decouples weight decay; use optimizer 'adam' for coupled decay")
    return mode


def param_groups(model: nn.Module, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Trainable parameters in as few groups as the hyperparameters need.

    The backbone gets its own groups only when ``backbone_lr_mult`` differs from 1, and
    decayed tensors (weights) are separated from the rest (biases, norms) only when
    ``weight_decay`` is set: every extra group costs the optimizer a little each step.
    Each group carries ``lr_mult`` and ``decay`` (whether weight decay applies). A frozen
    backbone is left out entirely.
    """
    freeze = bool(params.get("freeze_backbone", False))
    backbone_mult = number(params, "backbone_lr_mult", 1.0)
    split_decay = number(params, "weight_decay", 0.0) > 0
    buckets: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, param in model.named_parameters():
        head = is_head_parameter(model, name)
        if freeze and not head:
            param.requires_grad_(False)
        if not param.requires_grad:
            continue
        key = (head or backbone_mult == 1.0, param.dim() >= 2 or not split_decay)
        buckets.setdefault(key, []).append(param)
    return [
        {"params": plist, "lr_mult": 1.0 if head else backbone_mult, "decay": decay}
        for (head, decay), plist in sorted(buckets.items())
    ]


def build_optimizer(model: nn.Module, params: Mapping[str, Any]) -> torch.optim.Optimizer:
    """The optimizer named by ``params["optimizer"]`` with its hyperparameters applied."""
    name = pick(params, "optimizer", OPTIMIZERS)
    groups = param_groups(model, params)
    if not groups:
        # A model of the user's own may have no trainable parameter before anything is frozen.
        if bool(params.get("freeze_backbone", False)) and any(True for _ in model.parameters()):
            raise ConfigError("freeze_backbone", "no trainable parameters are left")
        named = params.get("model")
        raise ConfigError("model", f"{named if isinstance(named, str) else type(model).__name__!r} has no "
                                   f"trainable parameters; the optimizer has nothing to train")
    lr = default_lr(name)
    if name in ("sgd", "momentum", "nesterov"):
        opt: torch.optim.Optimizer = torch.optim.SGD(groups, lr=lr, nesterov=name == "nesterov", momentum=0.9)
    elif name == "adagrad":
        opt = torch.optim.Adagrad(groups, lr=lr)
    elif name == "rmsprop":
        opt = torch.optim.RMSprop(groups, lr=lr)
    elif name == "adam":
        opt = torch.optim.Adam(groups, lr=lr)
    else:
        opt = torch.optim.AdamW(groups, lr=lr)
    apply_hyperparams(opt, params)
    return opt


def apply_hyperparams(optimizer: torch.optim.Optimizer, params: Mapping[str, Any], *, lr_scale: float = 1.0) -> None:
    """Write lr, momentum, betas, eps and weight decay from ``params`` into every param group.

    Used when the optimizer is built and again after a resumed run loaded the old state,
    so that changed values really take effect. ``lr_scale`` multiplies the learning rate
    (a resumed run passes the schedule's progress so far).
    """
    name = pick(params, "optimizer", OPTIMIZERS)
    lr = number(params, "lr", default_lr(name))
    wd = number(params, "weight_decay", 0.0)
    decoupled = weight_decay_mode(params) == "decoupled"
    momentum = fraction(params, "momentum", OPTIM_DEFAULTS["momentum"])
    if name == "nesterov" and momentum == 0:
        raise ConfigError("momentum", "nesterov needs momentum > 0")
    for group in optimizer.param_groups:
        group["lr"] = lr * group["lr_mult"] * lr_scale
        decay = wd if group["decay"] else 0.0
        # torch's AdamW decays by its own weight_decay (decoupled); every other optimizer
        # gets coupled decay from torch and decoupled decay from decoupled_step().
        group["weight_decay"] = decay if (name == "adamw" or not decoupled) else 0.0
        group["decoupled_decay"] = decay if (decoupled and name != "adamw") else 0.0
        if name in ("momentum", "nesterov"):
            group["momentum"] = momentum
        elif name == "sgd":
            group["momentum"] = 0.0
        if name == "rmsprop":
            group["alpha"] = fraction(params, "rho", OPTIM_DEFAULTS["rho"])
        if name in ("adam", "adamw"):
            group["betas"] = (fraction(params, "beta1", 0.9), fraction(params, "beta2", 0.999))
        if name in ("adagrad", "rmsprop", "adam", "adamw"):
            group["eps"] = number(params, "eps", OPTIM_DEFAULTS["eps"])


def decoupled_step(optimizer: torch.optim.Optimizer) -> None:
    """theta <- (1 - lr*lambda) theta for groups with decoupled decay; call before ``step()``."""
    for group in optimizer.param_groups:
        factor = 1.0 - group["lr"] * group.get("decoupled_decay", 0.0)
        if factor != 1.0:
            with torch.no_grad():  # entered only when there is work: it costs time every step
                for param in group["params"]:
                    if param.grad is not None:
                        param.mul_(factor)


def l1_penalty(model: nn.Module, strength: float) -> torch.Tensor | None:
    """strength * sum |w| over weight matrices and kernels, or None when off."""
    if strength == 0:
        return None
    return strength * sum(p.abs().sum() for p in model.parameters() if p.dim() >= 2 and p.requires_grad)


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The base learning rate now in use (a backbone's multiplier divided out)."""
    return base_rate(optimizer.param_groups)


def base_rate(groups: Sequence[Mapping[str, Any]]) -> float:
    """The base rate of param groups (live or saved): a group's rate over its ``lr_mult``,
    read from one whose multiplier is not 0 (the head's is 1), since ``backbone_lr_mult: 0``
    gives the backbone's groups rate 0 whatever the base rate is."""
    group = next((g for g in groups if g.get("lr_mult", 1.0) != 0), groups[0])
    mult = group.get("lr_mult", 1.0)
    return float(group["lr"]) / mult if mult != 0 else float(group["lr"])


def restore_optimizer(
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    saved: Mapping[str, Any],
    params: Mapping[str, Any],
) -> bool:
    """Load a checkpoint's optimizer and schedule state into fresh ones, then apply ``params``.

    The optimizer state (momentum buffers, Adam moments) carries over when the optimizer
    kind and the parameter grouping are unchanged; the schedule's progress carries over
    when its kind and warm-up are unchanged too. A new ``lr`` rescales the schedule: the
    rate becomes new_lr * (the schedule's factor reached so far). Otherwise the schedule
    starts afresh at the new base rate from ``saved["epoch"]``, the epochs trained
    (:meth:`LrSchedule.restart`). New ``epochs`` give a cosine schedule that length
    (:meth:`LrSchedule.fit_length`). Momentum, betas, eps and weight decay always take
    their new values. Returns whether the optimizer state carried over.
    """
    old = saved.get("params") or {}
    old_lr = float(old.get("lr") or 0.0)
    new_lr = number(params, "lr", default_lr(pick(params, "optimizer", OPTIMIZERS)))
    ours = [(group["lr_mult"], group["decay"]) for group in optimizer.param_groups]
    carried = False
    if old.get("optimizer") == params.get("optimizer") and saved.get("optimizer"):
        try:
            optimizer.load_state_dict(saved["optimizer"])
            carried = True
        except ValueError:
            pass  # another grouping (backbone frozen, decay switched on): fresh optimizer state
        for group, (mult, decay) in zip(optimizer.param_groups, ours):
            group["lr_mult"], group["decay"] = mult, decay
    scheduler_state = saved.get("scheduler")
    if carried and old_lr > 0 and scheduler_state and schedule.load_state_dict(scheduler_state, lr_scale=new_lr / old_lr):
        progress = base_rate(saved["optimizer"]["param_groups"]) / old_lr
        for group in optimizer.param_groups:
            group["initial_lr"] = group.get("initial_lr", new_lr * group["lr_mult"]) * new_lr / old_lr
    else:
        progress = schedule.restart(int(saved.get("epoch") or 0), new_lr)
    apply_hyperparams(optimizer, params, lr_scale=progress)
    if params.get("epochs") is not None:
        schedule.fit_length(int(params["epochs"]))
    return carried


# The settings (optim_settings.py) and the schedules (schedules.py), importable from here.
__all__ = ["EXPONENTIAL_GAMMA", "INITS", "OPTIMIZERS", "OPTIM_DEFAULTS", "SCHEDULES", "SCHEDULE_SETTINGS", "SGD_LIKE",
           "GroupCosineLR", "LrSchedule", "apply_hyperparams", "base_rate", "build_optimizer", "current_lr",
           "decoupled_step", "default_lr", "floors", "fraction", "init_tensor", "init_weights", "l1_penalty", "number",
           "param_groups", "pick", "restore_optimizer", "weight_decay_mode"]
