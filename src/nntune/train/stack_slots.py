"""A stack's members coming and going between epochs: added to a free slot (the stack grows
when none is free), removed, copied onto another (PBT's exploit) or loaded from a member's
checkpoint (PBT's exploit from a snapshot), given new hyperparameters
(a resume's, PBT's explore) or a running trial's changes, and the free slots compacted away.

:class:`MemberSlots` is the part of :class:`~nntune.train.stack.Stack` that does this, on top
of :class:`~nntune.train.stack_results.MemberResults`; ``Stack`` builds the stack and trains it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from nntune.train.basics import derive_seed, resolve_params
from nntune.train.epochs import EarlyStopping, stopping_settings
from nntune.train.live import apply_changes
from nntune.train.metrics import best_possible, metric_direction
from nntune.train.models import build_model, dropout_rate
from nntune.train.optim import restore_optimizer
from nntune.train.stack_key import Key, structure_difference, structure_key
from nntune.train.stack_member import (Member, Settings, StackResult, check_member, clock_for, member_seed,
                                       member_settings)
from nntune.train.stack_results import MemberResults
from nntune.train.stack_state import clock_saved, load_solo_state, solo_model


class MemberSlots(MemberResults):
    """A stack's members in their slots, and the per-member tensors each slot's settings fill."""

    # Set by Stack.__init__.
    task: str
    metric: str
    key: Key
    l1: Tensor
    huber: Tensor

    @property
    def capacity(self) -> int:
        return self.net.capacity

    def free_slots(self) -> list[int]:
        return [s for s in range(self.capacity) if s not in self.members]

    def _resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hp = resolve_params(params, self.task)
        theirs = structure_key(hp, self.input_shape, self.n_outputs)
        if theirs != self.key:
            raise structure_difference(self.key, theirs, hp)
        return hp

    def add(self, params: Mapping[str, Any], *, seed: int = 0, key: Hashable = None) -> int:
        """Put a new configuration into a free slot (the stack grows when none is free):
        weights initialized as ``fit(params, seed=seed)`` would, fresh optimizer state.
        ``key`` names its result; by default its slot, or, where a member moved there by
        :meth:`compact` holds that key, the next integer no member holds."""
        seed = member_seed(seed)
        hp = self._resolve(params)
        # Everything that may refuse a value comes before the stack changes: a refused
        # configuration leaves no member, weights or larger capacity behind.
        clock, schedule = clock_for(hp)
        settings, stopping = member_settings(hp, clock), self._stopping(hp)
        with torch.random.fork_rng(devices=[]):  # the caller's global generator is left as it was
            # PyTorch's default initialization draws from it, as in fit; the model is built on the
            # CPU, so its generator alone (seeding every device type records a stack trace per call)
            torch.default_generator.manual_seed(seed)
            solo = build_model(hp, self.input_shape, self.n_outputs,
                               generator=torch.Generator().manual_seed(derive_seed(seed, 0)))
        free = self.free_slots()
        if not free:
            self._reindex(list(range(self.capacity)) + [-1] * max(1, self.capacity))
            free = self.free_slots()
        slot = free[0]
        self.net.load_member(slot, solo.state_dict(), settings.dropout)
        member = Member(key=self._default_key(slot) if key is None else key, hp=hp, seed=seed, clock=clock,
                        batch_gen=torch.Generator().manual_seed(derive_seed(seed, 1)),
                        schedule=schedule, stopping=stopping, l1=0.0, spare=solo)
        self.members[slot] = member
        self.opt.reset_member(slot)
        self._apply(slot, settings)
        return slot

    def _default_key(self, slot: int) -> int:
        taken = {m.key for m in self.members.values()}
        if slot not in taken:
            return slot
        return max(k for k in taken if isinstance(k, int) and not isinstance(k, bool)) + 1

    def _stopping(self, hp: Mapping[str, Any]) -> EarlyStopping:
        enabled, patience, min_delta = stopping_settings(hp)
        return EarlyStopping(metric_direction(self.metric), best_possible(self.metric), min_delta, patience, enabled)

    def _apply(self, slot: int, settings: Settings | None = None) -> None:
        """Write member ``slot``'s settings (by default made from its params) into the per-member tensors."""
        m = self.members[slot]
        values = member_settings(m.hp, m.clock) if settings is None else settings
        self.opt.set_member(slot, values.optimizer)
        self.net.set_dropout(slot, values.dropout)
        m.l1 = values.l1
        self.l1[slot] = m.l1
        self.huber[slot] = values.huber_delta

    def remove(self, slot: int) -> StackResult:
        """Take member ``slot`` out (its slot is freed) and return its result so far."""
        return self._take_out(slot, clear=True)

    def _take_out(self, slot: int, *, clear: bool) -> StackResult:
        """:meth:`remove`; without ``clear`` the slot keeps its numbers, for a compaction
        that drops it right after."""
        result = self.result(slot)
        del self.members[slot]
        if clear:
            self.net.clear_member(slot)
            self.opt.clear_member(slot)
            self.l1[slot] = 0
        return result

    def copy(self, src: int, dst: int) -> None:
        """Member ``dst`` takes ``src``'s weights, batch-norm statistics, optimizer state,
        hyperparameters and lr-schedule progress; it keeps its own history and batch order."""
        a, b = self.member(src), self.member(dst)
        self.net.copy_member(src, dst)
        self.opt.copy_member(src, dst)
        b.hp = dict(a.hp)
        b.clock, b.schedule = clock_for(b.hp)
        b.clock.load_state_dict(a.clock.state_dict())
        b.schedule.load_state_dict(a.schedule.state_dict())
        b.stopping, b.stopped_early = self._stopping(b.hp), False  # a stop change_params left pending is dropped
        self._apply(dst)

    def load_checkpoint(self, slot: int, state: Mapping[str, Any]) -> None:
        """Member ``slot`` takes a checkpoint's weights, batch-norm statistics, params,
        optimizer state, lr-schedule progress, epoch and iterations (one :meth:`save_member`
        or ``fit`` wrote), as :meth:`copy` takes another member's; it keeps its own history
        and batch order. A checkpoint without optimizer state starts it afresh and its
        schedule at the checkpoint's epoch, as a resumed ``fit`` does."""
        m = self.member(slot)
        hp = self._resolve(state["params"])
        clock, schedule = clock_for(hp)
        model = solo_model(hp, self.input_shape, self.n_outputs)
        self.net.load_member(slot, state["model"], dropout_rate(hp))
        carried = load_solo_state(self.opt, slot, list(self.net.params), hp, state.get("optimizer"), model)
        saved = {**state, "params": hp} if carried else {**state, "params": hp, "optimizer": None}
        restore_optimizer(clock, schedule, clock_saved(saved), hp)
        m.hp, m.clock, m.schedule = hp, clock, schedule
        m.epoch, m.iterations = int(state["epoch"]), int(state["iterations"])
        m.stopping, m.stopped_early, m.best_state = self._stopping(hp), False, None
        self._apply(slot)

    def set_params(self, slot: int, params: Mapping[str, Any]) -> None:
        """New hyperparameters for a member between epochs, kept as a resumed ``fit`` keeps
        them: a new lr rescales the schedule, the optimizer state carries over."""
        m = self.member(slot)
        hp = self._resolve(params)
        clock, schedule = clock_for(hp)
        saved = {"params": m.hp, "optimizer": m.clock.state_dict(), "scheduler": m.schedule.state_dict(),
                 "epoch": m.epoch}  # a new schedule kind starts here, as on a resume at this epoch
        carried = restore_optimizer(clock, schedule, saved, hp)  # only the new clock changes here
        settings, stopping = member_settings(hp, clock), self._stopping(hp)  # refused values change nothing
        if not carried:
            self.opt.reset_member(slot)
        m.hp, m.clock, m.schedule = hp, clock, schedule
        old = m.stopping  # the best epoch so far stays; patience and min_delta are the new ones
        m.stopping = replace(stopping, best_epoch=old.best_epoch, best_value=old.best_value, bad_epochs=old.bad_epochs)
        m.stopped_early = False  # a resumed fit trains before it asks its early stopping again
        self._apply(slot, settings)

    def change_params(self, slot: int, changes: Mapping[str, Any]) -> None:
        """Changes a running member takes at an epoch boundary (``nntune trial set``), as
        ``fit`` takes them (:func:`~nntune.train.live.apply_changes`), where :meth:`set_params`
        is a resume's (PBT's explore); the schedule is taken as both take it: a new kind
        starts afresh at the base rate over the epochs that remain, and under a cosine
        schedule new ``epochs`` stretch or shrink its period."""
        m = self.member(slot)
        hp = self._resolve({**m.hp, **changes})  # a structural change is refused here
        check_member(hp)  # every value first: a change refused halfway would leave the member half changed
        live = dict(m.hp)
        # The member's clock is its solo optimizer at the rate reached. Its dropout is a rate
        # of the stacked net (written by _apply), not a module of a solo model.
        m.schedule = apply_changes({k: hp[k] for k in changes if k != "dropout"}, live, nn.Module(), m.clock,
                                   m.schedule, epoch=m.epoch)
        m.hp = {**live, "dropout": hp["dropout"]}
        old, stopping = m.stopping, self._stopping(m.hp)
        m.stopping = replace(stopping, best_epoch=old.best_epoch, best_value=old.best_value, bad_epochs=old.bad_epochs)
        if stopping.enabled and not old.enabled and m.history:
            # As fit: switched on now, it judges from this epoch on and keeps these weights,
            # since none were kept before (the best epoch so far has no weights to return).
            m.stopping.restart(m.epoch, m.history[-1]["value"])
            m.best_state = self.net.member_state(slot)
        elif old.enabled and not stopping.enabled:
            m.best_state = None  # as fit: switched off, the last epoch's weights are the result
        # fit asks its early stopping again right after a change: ended by the next run_epoch, untrained
        m.stopped_early = bool(m.history) and m.stopping.should_stop(m.history[-1]["value"])
        self._apply(slot)

    def compact(self) -> dict[int, int]:
        """Drop the free slots so they cost nothing; returns {old slot: new slot}. An empty
        stack keeps one free slot: the per-member tensors are gathered from an existing slot."""
        order = sorted(self.members)
        self._reindex(order or [-1])
        return {old: new for new, old in enumerate(order)}

    def _reindex(self, index: list[int]) -> None:
        idx = torch.tensor(index, dtype=torch.long)
        self.net.reindex(idx)
        self.opt.reindex(idx, self.net.parameters())
        l1 = self.l1[idx.clamp(min=0).to(self.device)].clone()
        l1[(idx < 0).to(self.device)] = 0
        self.l1 = l1
        self.huber = self.huber[idx.clamp(min=0).to(self.device)].clone()
        self.members = {new: self.members[old] for new, old in enumerate(index) if old >= 0}
