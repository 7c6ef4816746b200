"""An optimizer's state and learning-rate schedule carried over to another grouping of the
same parameters.

:func:`~nntune.train.optim.param_groups` splits weights from biases and norms only while
``weight_decay`` is above 0, so a change of ``weight_decay`` to or from 0 (``nntune trial
set``, a fork's ``--set``) regroups the parameters. torch loads an optimizer's state only
into the grouping it was saved from; without this the run lost its Adam moments and
momentum buffers and its schedule started over (a cosine rate back at its first epoch's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

# A torch scheduler's values kept one per param group (LinearLR, StepLR, ExponentialLR,
# cosine: base_lrs and _last_lr; ReduceLROnPlateau: min_lrs and _last_lr).
PER_GROUP = ("base_lrs", "_last_lr", "min_lrs")

Groups = Sequence[Sequence[nn.Parameter]]


def same_grouping(a: Groups, b: Groups) -> bool:
    return [[id(p) for p in g] for g in a] == [[id(p) for p in g] for g in b]


def fits(saved: Mapping[str, Any], groups: Groups) -> bool:
    """Whether a saved optimizer state's groups hold as many parameters as ``groups``, in
    order: the grouping it was saved from, as far as its indices tell."""
    sizes = [len(g["params"]) for g in saved.get("param_groups", ())]
    return sizes == [len(g) for g in groups]


def regrouped(saved: Mapping[str, Any], scheduler: Mapping[str, Any] | None, old: Groups,
              new: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``saved`` (an optimizer's ``state_dict()`` of groups ``old``) and ``scheduler`` (an
    :class:`~nntune.train.schedules.LrSchedule`'s state) rewritten for the groups ``new``
    (param group dicts over the same parameters): each parameter keeps its own state, and
    each new group takes the settings and schedule values of the old group its first
    parameter was in (one ``lr_mult`` within a group, so one rate)."""
    where: dict[int, tuple[int, int]] = {}  # id(param) -> (old group, index in the saved state)
    index = 0
    for g, params in enumerate(old):
        for p in params:
            where[id(p)] = (g, index)
            index += 1
    state, groups, source = {}, [], []
    index = 0
    for group in new:
        params = list(group["params"])
        first = where[id(params[0])][0]
        source.append(first)
        settings = {k: v for k, v in saved["param_groups"][first].items() if k != "params"}
        groups.append({**settings, "lr_mult": group.get("lr_mult", 1.0), "decay": group.get("decay", True),
                       "params": list(range(index, index + len(params)))})
        for p in params:
            old_index = where[id(p)][1]
            if old_index in saved["state"]:
                state[index] = saved["state"][old_index]
            index += 1
    return {"state": state, "param_groups": groups}, schedule_by_groups(scheduler, source)


def schedule_by_groups(state: Mapping[str, Any] | None, source: Sequence[int]) -> dict[str, Any] | None:
    """An :class:`~nntune.train.schedules.LrSchedule`'s state whose new group i takes the
    per-group values of old group ``source[i]``."""
    if state is None:
        return None
    out = dict(state)
    for part in ("warmup", "main"):
        saved = state.get(part)
        if isinstance(saved, Mapping):
            out[part] = {k: [v[i] for i in source] if k in PER_GROUP and isinstance(v, list) else v
                         for k, v in saved.items()}
    return out


def regroup(optimizer: torch.optim.Optimizer, groups: Sequence[Mapping[str, Any]]) -> None:
    """Make ``groups`` (:func:`~nntune.train.optim.param_groups`' dicts) the optimizer's
    param groups in place; its per-parameter state (keyed by parameter) stays."""
    optimizer.param_groups.clear()
    for group in groups:
        optimizer.add_param_group(dict(group))


def for_optimizer(saved: Mapping[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer,
                  params: Mapping[str, Any]) -> Mapping[str, Any]:
    """A checkpoint's state (``optimizer``, ``scheduler`` and the ``params`` it trained with)
    in the grouping ``optimizer`` was built with for ``params``: a resume or fork whose
    ``weight_decay`` is 0 on one side only carries its state and schedule over. Returned as
    it is where the groupings agree, or where they differ for another reason (a frozen
    backbone, its rate multiplier: the optimizer then starts afresh, as before)."""
    from nntune.train.optim import param_groups

    old_params, opt = saved.get("params"), saved.get("optimizer")
    if not isinstance(old_params, Mapping) or not isinstance(opt, Mapping) or not opt.get("param_groups"):
        return saved
    if any(old_params.get(k, default) != params.get(k, default)
           for k, default in (("freeze_backbone", False), ("backbone_lr_mult", 1.0))):
        return saved  # grouped by more than weight decay (param_groups would freeze as the old params say)
    old = [g["params"] for g in param_groups(model, old_params)]
    now = list(optimizer.param_groups)
    if same_grouping(old, [g["params"] for g in now]) or not fits(opt, old):
        return saved
    if {id(p) for g in old for p in g} != {id(p) for g in now for p in g["params"]}:
        return saved
    state, scheduler = regrouped(opt, saved.get("scheduler"), old, now)
    return {**saved, "optimizer": state, "scheduler": scheduler}
