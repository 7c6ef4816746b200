"""Weight initializers, optimizers and learning-rate schedules.

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
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler

from nntune.exceptions import ConfigError
from nntune.train.models import is_head_parameter

INITS = ("default", "zeros", "normal", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "uniform_inv_n2")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "step", "exponential", "plateau", "cosine")
SGD_LIKE = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop")

OPTIM_DEFAULTS: dict[str, Any] = {
    "init": "default",
    "init_std": 0.01,
    "optimizer": "adam",
    "momentum": 0.9,
    "rho": 0.99,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "weight_decay": 0.0,
    "l1": 0.0,
    "lr_schedule": "constant",
    "lr_step_epochs": 8,
    "lr_patience": 5,
    "lr_factor": 0.1,
    "lr_min": 0.0,
    "warmup_epochs": 0,
}
# A torch scheduler's attributes that hold a schedule's settings rather than its progress.
SCHEDULE_SETTINGS = ("step_size", "gamma", "eta_min", "factor", "patience", "min_lrs")
# Exponential decay with the notes' pace (x0.1 over 8 epochs) when lr_gamma is not given.
EXPONENTIAL_GAMMA = 0.1 ** (1 / 8)


def pick(params: Mapping[str, Any], key: str, options: Iterable[str]) -> str:
    options = tuple(options)
    value = params.get(key, OPTIM_DEFAULTS.get(key))
    if value not in options:
        raise ConfigError(key, f"unknown {value!r}; choose from {', '.join(options)}")
    return str(value)


def number(params: Mapping[str, Any], key: str, default: float, *, low: float = 0.0) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < low:
        raise ConfigError(key, f"must be a number >= {low:g}, got {value!r}")
    return float(value)


def fraction(params: Mapping[str, Any], key: str, default: float) -> float:
    """``params[key]`` in [0, 1) (a decay rate: momentum, rho, the betas, a plateau's factor),
    or a ConfigError naming it: at 1 or above the optimizer divides by zero or diverges."""
    value = number(params, key, default)
    if value >= 1.0:
        raise ConfigError(key, f"must be a number in [0, 1), got {params.get(key, default)!r}")
    return value


def default_lr(optimizer: str) -> float:
    """1e-3 for the Adam family, 0.01 for SGD-like optimizers."""
    return 1e-3 if optimizer in ("adam", "adamw") else 0.01


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
        raise ConfigError("freeze_backbone", "no trainable parameters are left")
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
    group = optimizer.param_groups[0]
    return float(group["lr"]) / group["lr_mult"]


# ---------------------------------------------------------------- schedules


def floors(optimizer: torch.optim.Optimizer, lr_min: float) -> list[float]:
    """Each group's lowest rate: ``lr_min`` times its ``lr_mult``, so a backbone's rate stays
    its multiple of the head's down to the floor (and never climbs towards ``lr_min``)."""
    return [lr_min * group.get("lr_mult", 1.0) for group in optimizer.param_groups]


class GroupCosineLR(lr_scheduler.CosineAnnealingLR):
    """torch's cosine annealing (the same recursive steps) with each group's floor at
    :func:`floors` instead of one ``eta_min`` for all."""

    def get_lr(self) -> list[float]:  # type: ignore[override]
        t, period = self.last_epoch, self.T_max
        groups = self.optimizer.param_groups
        etas = floors(self.optimizer, self.eta_min)
        if t == 0:  # built: the rate as the optimizer (or a warm-up) left it
            return [float(g["lr"]) for g in groups]
        if (t - 1 - period) % (2 * period) == 0:
            return [g["lr"] + (base - eta) * (1 - math.cos(math.pi / period)) / 2
                    for g, base, eta in zip(groups, self.base_lrs, etas)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (g["lr"] - eta) + eta for g, eta in zip(groups, etas)]


class LrSchedule:
    """An optional linear warm-up followed by the main schedule; stepped once per epoch.

    With ``warmup_epochs`` = w, epoch k (1-based, k <= w) trains at lr * k/(w+1) and epoch
    w+1 at the full rate; the main schedule counts its epochs from there. ``plateau``
    watches the validation loss passed to :meth:`step`. ``lr_min`` (cosine, plateau) is the
    floor of the base rate; a backbone's floor is ``lr_min * backbone_lr_mult``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params: Mapping[str, Any], epochs: int) -> None:
        kind = pick(params, "lr_schedule", SCHEDULES)
        self.kind = kind
        self.warmup_epochs = int(number(params, "warmup_epochs", 0))
        self.epochs_done = 0
        self.warmup: lr_scheduler.LinearLR | None = None
        if self.warmup_epochs > 0:
            self.warmup = lr_scheduler.LinearLR(
                optimizer, start_factor=1 / (self.warmup_epochs + 1), end_factor=1.0, total_iters=self.warmup_epochs
            )
        self.main: lr_scheduler.LRScheduler | None
        if kind == "step":
            step = int(number(params, "lr_step_epochs", OPTIM_DEFAULTS["lr_step_epochs"], low=1))
            self.main = lr_scheduler.StepLR(optimizer, step_size=step, gamma=number(params, "lr_gamma", 0.1))
        elif kind == "exponential":
            self.main = lr_scheduler.ExponentialLR(optimizer, gamma=number(params, "lr_gamma", EXPONENTIAL_GAMMA))
        elif kind == "plateau":
            self.main = lr_scheduler.ReduceLROnPlateau(
                optimizer,
                mode="min",
                factor=fraction(params, "lr_factor", OPTIM_DEFAULTS["lr_factor"]),
                patience=int(number(params, "lr_patience", OPTIM_DEFAULTS["lr_patience"])),
                min_lr=floors(optimizer, number(params, "lr_min", 0.0)),
            )
        elif kind == "cosine":
            t_max = max(1, epochs - self.warmup_epochs)
            self.main = GroupCosineLR(optimizer, T_max=t_max, eta_min=number(params, "lr_min", 0.0))
        else:
            self.main = None

    def step(self, val_loss: float) -> None:
        """Advance one epoch (call after the epoch's validation)."""
        self.epochs_done += 1
        if self.warmup is not None and self.epochs_done <= self.warmup_epochs:
            self.warmup.step()
        elif isinstance(self.main, lr_scheduler.ReduceLROnPlateau):
            self.main.step(val_loss)
        elif self.main is not None:
            self.main.step()

    def fit_length(self, epochs: int) -> None:
        """Make ``epochs`` a cosine schedule's length from now on (other kinds have none).

        The period becomes epochs - warm-up and the rate the one that period gives at the
        epochs done, as if the run had been planned that long. Going on from the rate
        reached instead would leave a run whose old period had ended at ``lr_min`` there for
        all its new epochs (torch's cosine steps multiply the rate reached).
        """
        if not isinstance(self.main, lr_scheduler.CosineAnnealingLR):
            return
        t_max = max(1, epochs - self.warmup_epochs)
        if self.main.T_max == t_max:
            return
        self.main.T_max = t_max
        done = self.main.last_epoch
        if done <= 0:  # still warming up: the warm-up sets the rate, the cosine starts later
            return
        factor = (1 + math.cos(math.pi * min(done, t_max) / t_max)) / 2
        etas = floors(self.main.optimizer, self.main.eta_min)
        rates = [eta + (base - eta) * factor for base, eta in zip(self.main.base_lrs, etas)]
        for group, rate in zip(self.main.optimizer.param_groups, rates):
            group["lr"] = rate
        self.main._last_lr = rates  # type: ignore[attr-defined]

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "warmup_epochs": self.warmup_epochs,
            "epochs_done": self.epochs_done,
            "warmup": None if self.warmup is None else self.warmup.state_dict(),
            "main": None if self.main is None else self.main.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any], *, lr_scale: float = 1.0) -> bool:
        """Restore the schedule's progress, its base rates scaled by ``lr_scale``.

        A resumed run with a new ``lr`` passes new_lr / old_lr, so the whole schedule is
        rescaled rather than restarted. A saved schedule of another kind or warm-up length
        is ignored (returns False): the new schedule starts from its first epoch. The
        schedule's own settings (``lr_gamma``, ``lr_step_epochs``, ``lr_min``, a plateau's
        ``lr_factor`` and ``lr_patience``) stay the ones this schedule was built with: the new
        params', not the saved ones.
        """
        if state.get("kind") != self.kind or state.get("warmup_epochs") != self.warmup_epochs:
            return False
        self.epochs_done = int(state["epochs_done"])
        for scheduler, saved in ((self.warmup, state["warmup"]), (self.main, state["main"])):
            if scheduler is None or saved is None:
                continue
            ours = {name: getattr(scheduler, name) for name in SCHEDULE_SETTINGS if hasattr(scheduler, name)}
            scheduler.load_state_dict(dict(saved))
            for name, value in ours.items():
                setattr(scheduler, name, value)
            for attr in ("base_lrs", "_last_lr"):
                values = getattr(scheduler, attr, None)
                if isinstance(values, list):
                    setattr(scheduler, attr, [v * lr_scale for v in values])
        return True


def restore_optimizer(
    optimizer: torch.optim.Optimizer,
    schedule: LrSchedule,
    saved: Mapping[str, Any],
    params: Mapping[str, Any],
) -> bool:
    """Load a checkpoint's optimizer and schedule state into fresh ones, then apply ``params``.

    The optimizer state (momentum buffers, Adam moments) carries over when the optimizer
    kind and the parameter grouping are unchanged; the schedule's progress carries over
    when its kind is unchanged too. A new ``lr`` rescales the schedule: the rate becomes
    new_lr * (the schedule's factor reached so far). New ``epochs`` give a cosine schedule
    that length (:meth:`LrSchedule.fit_length`). Momentum, betas, eps and weight decay
    always take their new values. Returns whether the optimizer state carried over.
    """
    old = saved.get("params") or {}
    old_lr = float(old.get("lr") or 0.0)
    new_lr = number(params, "lr", default_lr(pick(params, "optimizer", OPTIMIZERS)))
    ours = [(group["lr_mult"], group["decay"]) for group in optimizer.param_groups]
    # A fresh schedule may already have scaled the rate (warm-up starts below it).
    progress = current_lr(optimizer) / new_lr if new_lr > 0 else 1.0
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
        first = saved["optimizer"]["param_groups"][0]
        progress = float(first["lr"]) / first.get("lr_mult", 1.0) / old_lr
        for group in optimizer.param_groups:
            group["initial_lr"] = group.get("initial_lr", new_lr * group["lr_mult"]) * new_lr / old_lr
    else:
        for group in optimizer.param_groups:
            group["initial_lr"] = new_lr * group["lr_mult"]
    apply_hyperparams(optimizer, params, lr_scale=progress)
    if params.get("epochs") is not None:
        schedule.fit_length(int(params["epochs"]))
    return carried
