"""What a :class:`~nntune.train.stack.Stack` gives back of one member: the member as a solo
model of :mod:`nntune.train.models` (its best weights when early stopping kept them), its
:class:`~nntune.train.stack_member.StackResult` with the model's layer table, and a checkpoint
that ``fit(resume_from=...)`` continues.

:class:`MemberResults` is the part of ``Stack`` that does this;
:class:`~nntune.train.stack_slots.MemberSlots` adds the members' comings and goings, and
``Stack`` (in :mod:`nntune.train.stack`) the training.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.checkpoints import stopping_state
from nntune.train.epochs import save_checkpoint
from nntune.train.models import build_model, dropout_rate, set_dropout, summarize
from nntune.train.stack_member import Member, StackResult
from nntune.train.stack_models import StackedNet
from nntune.train.stack_optim import StackedOptimizer
from nntune.train.stack_state import solo_model, solo_state


class MemberResults:
    """A stack's members given back one at a time, as solo models, results and checkpoints."""

    # Set by Stack.__init__.
    members: dict[int, Member]
    net: StackedNet
    opt: StackedOptimizer
    device: torch.device
    input_shape: tuple[int, ...]
    n_outputs: int
    _summaries: dict[Hashable, list[dict[str, Any]]]

    def member(self, slot: int) -> Member:
        """The member in ``slot``; a ConfigError naming the slot when it holds none."""
        try:
            return self.members[slot]
        except KeyError:
            held = sorted(self.members)
            raise ConfigError("slot", f"no member in slot {slot!r}; members are in slots {held}") from None

    def member_model(self, slot: int, *, best: bool = True) -> nn.Module:
        """Member ``slot`` as a solo model of :mod:`nntune.train.models` (its best weights
        when early stopping kept them), on the stack's device, in eval mode."""
        m = self.member(slot)
        model, m.spare = m.spare, None  # given away once: a later call must not overwrite it
        if model is None or (dropout_rate(m.hp) > 0) != any(isinstance(x, nn.Dropout) for x in model.modules()):
            with torch.random.fork_rng(devices=[]):
                model = build_model({**m.hp, "init": "zeros"}, self.input_shape, self.n_outputs)
        set_dropout(model, dropout_rate(m.hp))
        state = m.best_state if best and m.best_state is not None else self.net.member_state(slot)
        # Moved first, without waiting on the device: the member's weights are then copied on
        # the device, not through the host.
        model = model.to(self.device, non_blocking=True)
        model.load_state_dict(state)
        return model.eval()

    def result(self, slot: int) -> StackResult:
        m = self.member(slot)
        model = self.member_model(slot)
        return StackResult(
            model=model, history=m.history, epochs=m.epoch, iterations=m.iterations,
            best_epoch=m.stopping.best_epoch, best_value=m.stopping.best_value,
            stopped_by_report=m.stopped_by_report,
            stopped_early=m.stopped_early,
            summary=self._summary(dropout_rate(m.hp) > 0, model), diverged=m.diverged, key=m.key,
        )

    def _summary(self, key: Hashable, model: nn.Module) -> list[dict[str, Any]]:
        """The layer table of a member's model, made once per stack and ``key``: members
        share the structure, and whether dropout is on is all that adds or drops a layer."""
        if key not in self._summaries:
            self._summaries[key] = summarize(model, self.input_shape)
        return [dict(row) for row in self._summaries[key]]

    def save_member(self, slot: int, path: str | Path) -> None:
        """Member ``slot`` as the checkpoint ``fit`` would have written after the member's
        epoch, which ``fit(resume_from=path)`` and :meth:`~nntune.train.stack_slots.MemberSlots.load_checkpoint`
        continue: weights, batch-norm statistics, its optimizer's state (momentum buffers,
        moments, step count), its lr schedule's progress and early stopping's, epoch, params
        and batch order."""
        m = self.member(slot)
        model = solo_model(m.hp, self.input_shape, self.n_outputs)
        state = {
            "model": {n: t.cpu() for n, t in self.net.member_state(slot).items()},
            **solo_state(self.opt, slot, list(self.net.params), m.hp, m.clock, m.schedule.state_dict(), model),
            "epoch": m.epoch, "iterations": m.iterations, "params": dict(m.hp),
            "rng": {"torch": torch.get_rng_state(), "batches": m.batch_gen.get_state()},
        }
        if m.history:  # where early stopping stands, as fit saves it: a resumed run stops where this member would
            best = None if m.best_state is None else {n: t.cpu() for n, t in m.best_state.items()}
            best_record = next((r for r in m.history if r["epoch"] == m.stopping.best_epoch), None)
            state["stopping"] = stopping_state(m.stopping, m.epoch, m.history[-1], best, best_record)
        save_checkpoint(path, state)
