"""A stack member's optimizer and lr-schedule state in a solo run's checkpoint format, and back.

A stack keeps every member's optimizer state in fused tensors [K, ...]
(:class:`~nntune.train.stack_optim.StackedOptimizer`) and its lr schedule on a one-parameter
clock (:func:`~nntune.train.stack_member.clock_for`). A checkpoint of a member written
without them made a run resumed or forked from it (``fit(resume_from=...)``, a PBT
replacement that starts from a snapshot) lose its momentum buffers or Adam moments and
start its schedule over, where one from a solo run's checkpoint continued both. Here the
member's slice becomes the ``state_dict()`` of the ``torch.optim`` optimizer and the
:class:`~nntune.train.schedules.LrSchedule` that ``fit`` builds for the member's params, so
either kind of run continues either kind of checkpoint alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from nntune.train.models import build_model
from nntune.train.optim import build_optimizer
from nntune.train.regroup import schedule_by_groups
from nntune.train.stack_optim import STATE, StackedOptimizer

# torch.optim's name of each per-parameter state tensor the fused optimizer keeps (the same
# names), and whether torch keeps a step count beside them (SGD keeps none).
COUNTS_STEPS = {"sgd": False, "adam": True, "rmsprop": True, "adagrad": True}


def solo_model(hp: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> nn.Module:
    """The member's solo model, for its parameters' grouping and names (weights left at zero:
    building draws nothing from the caller's generator)."""
    with torch.random.fork_rng(devices=[]):
        return build_model({**hp, "init": "zeros"}, tuple(input_shape), n_outputs)


def solo_state(opt: StackedOptimizer, slot: int, names: Sequence[str], hp: Mapping[str, Any],
               clock: torch.optim.Optimizer, schedule: Mapping[str, Any], model: nn.Module) -> dict[str, Any]:
    """Member ``slot``'s ``optimizer`` and ``scheduler`` entries of a checkpoint, as ``fit``
    saves them for ``hp``: ``names`` are the stacked parameters' names (in ``opt``'s order),
    ``clock`` the member's solo optimizer (its rate reached), ``schedule`` its schedule's
    state and ``model`` its solo model."""
    solo = build_optimizer(model, hp)
    rate = clock.param_groups[0]
    for group in solo.param_groups:
        group["lr"] = rate["lr"] * group["lr_mult"]
        if "initial_lr" in rate:  # set by the schedule: a resumed one scales from it
            group["initial_lr"] = rate["initial_lr"] * group["lr_mult"]
    momentum = float(solo.param_groups[0].get("momentum", 0.0))
    steps = float(opt.steps[slot])
    params = dict(model.named_parameters())
    for name, state in zip(names, opt.state):
        entry: dict[str, Tensor] = {key: state[key][slot].detach().to("cpu", copy=True) for key in STATE[opt.family]}
        if COUNTS_STEPS[opt.family]:
            entry["step"] = torch.tensor(steps)
        elif momentum == 0:  # torch's SGD keeps no buffer without momentum
            entry = {}
        if entry:
            solo.state[params[name]] = entry
    return {"optimizer": solo.state_dict(), "scheduler": schedule_by_groups(schedule, [0] * len(solo.param_groups))}


def load_solo_state(opt: StackedOptimizer, slot: int, names: Sequence[str], hp: Mapping[str, Any],
                    saved: Mapping[str, Any] | None, model: nn.Module) -> bool:
    """Put a checkpoint's ``optimizer`` entry (``saved``, written for ``hp`` by ``fit`` or
    :func:`solo_state`) into member ``slot``'s fused state; returns whether it fitted. A
    missing one, or one of another optimizer or grouping, leaves the slot's state fresh."""
    opt.reset_member(slot)
    if not saved:
        return False
    solo = build_optimizer(model, hp)
    try:
        solo.load_state_dict(saved)
    except (ValueError, KeyError):
        return False
    params = dict(model.named_parameters())
    found = [solo.state.get(params[name], {}) for name in names]
    with torch.no_grad():
        for state, entry in zip(opt.state, found):
            for key, tensor in state.items():
                if key in entry:
                    tensor[slot].copy_(entry[key])
        counted = [float(entry["step"]) for entry in found if "step" in entry]
        opt.steps[slot] = counted[0] if counted else 0.0
    return True


def clock_saved(saved: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint's ``optimizer`` and ``scheduler`` entries cut down to the member's clock
    (one group of one parameter, whose rate is the base rate: a stack's groups differ only
    in weight decay), for :func:`~nntune.train.optim.restore_optimizer` to load into it."""
    optimizer, scheduler = saved.get("optimizer"), saved.get("scheduler")
    if not isinstance(optimizer, Mapping) or not optimizer.get("param_groups"):
        return {**saved, "optimizer": None}
    groups = optimizer["param_groups"]
    pick = next((i for i, g in enumerate(groups) if g.get("decay", True)), 0)  # the clock's is a decayed one
    clock = {"state": {}, "param_groups": [{**groups[pick], "params": [0]}]}
    return {**saved, "optimizer": clock,
            "scheduler": schedule_by_groups(scheduler, [pick]) if isinstance(scheduler, Mapping) else None}
