"""Hyperparameters changed at an epoch boundary of a running :func:`~nntune.train.loop.fit`.

``fit`` asks its ``changes(epoch, hp)`` callback after each epoch's checkpoint; what comes
back is written into ``hp`` and into the live optimizer, schedule and model here, with the
same machinery a resumed checkpoint uses (:func:`~nntune.train.optim.restore_optimizer`), so
changing a value while training and resuming with it later give the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from nntune.changes import CHANGEABLE
from nntune.exceptions import ConfigError
from nntune.train.models import set_dropout
from nntune.train.optim import LrSchedule, param_groups, restore_optimizer
from nntune.train.regroup import regroup, regrouped, same_grouping

Changes = Callable[[int, dict], Mapping[str, Any]]


def apply_changes(changes: Mapping[str, Any], hp: dict[str, Any], model: nn.Module,
                  optimizer: torch.optim.Optimizer, schedule: LrSchedule, *, epoch: int) -> LrSchedule:
    """Write ``changes`` into ``hp`` (in place) and into the optimizer, the model's dropout
    and the learning-rate schedule, after ``epoch`` epochs; returns the schedule to step
    from now on.

    A new ``lr`` rescales the schedule's progress so far (new_lr / old_lr), as a resume
    does; a new schedule kind or warm-up starts that schedule afresh, as a resume at
    ``epoch`` does: from the next epoch, at the base rate, over the epochs that remain (a
    warm-up already over is not repeated; :meth:`~nntune.train.optim.LrSchedule.restart`);
    under a cosine schedule new ``epochs`` stretch or shrink its period, the rate becoming
    the new period's at the epochs done (:meth:`~nntune.train.optim.LrSchedule.fit_length`).
    The optimizer's state (momentum buffers, Adam moments) always carries over. Loop-level
    values (epochs, grad_clip, l1, early stopping) take effect because the loop reads them
    from ``hp``. Weight decay switched on from 0 (or off) regroups the parameters as a
    run built with it is grouped (biases and norms undecayed), each keeping its state.
    """
    if not changes:
        return schedule
    for name in changes:  # a structural name would be written into hp while the model stays as built
        if name not in CHANGEABLE:
            raise ConfigError(name, f"cannot change while a model trains; changeable: {', '.join(sorted(CHANGEABLE))}")
    old = dict(hp)
    hp.update(changes)
    if "dropout" in changes:
        set_dropout(model, float(hp["dropout"]))
    saved = {"optimizer": optimizer.state_dict(), "scheduler": schedule.state_dict(), "params": old, "epoch": epoch}
    if "weight_decay" in changes:
        # Grouped as a run built with the new decay is (weights apart from biases and norms
        # only while it is above 0), so a resume or fork from a later checkpoint, built that
        # way, loads this state and schedule as they are.
        wanted, built = param_groups(model, hp), [g["params"] for g in optimizer.param_groups]
        if not same_grouping(built, [g["params"] for g in wanted]) and \
                {id(p) for g in built for p in g} == {id(p) for g in wanted for p in g["params"]}:
            saved["optimizer"], saved["scheduler"] = regrouped(saved["optimizer"], saved["scheduler"], built, wanted)
            regroup(optimizer, wanted)
    fresh = LrSchedule(optimizer, hp, int(hp["epochs"]))
    restore_optimizer(optimizer, fresh, saved, hp)  # new epochs give a cosine its new length
    return fresh
