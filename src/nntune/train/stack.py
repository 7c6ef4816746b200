"""The stacked trainer: many models of one structure trained in one batched computation.

:class:`Stack` holds up to ``capacity`` members in slots. Each member has its own
hyperparameters (lr and schedule, optimizer settings, weight decay, l1, dropout,
grad_clip, Huber delta, init, seed, epochs, early stopping), its own batch order drawn from its own
seed, its own batch-norm statistics and its own records; only the structure
(:func:`~nntune.train.stack_key.structure_key`) is shared. Members come and go between
epochs (:meth:`Stack.add`, :meth:`Stack.remove`, :meth:`Stack.copy`,
:meth:`Stack.set_params`, :meth:`Stack.change_params`, :meth:`Stack.compact`); a member whose loss turns NaN or
infinite is marked diverged and removed while the others go on.

:func:`~nntune.train.stack_run.fit_stack` trains a list of configurations this way and
returns one :class:`StackResult` per configuration, in order. Member k follows exactly the
rules of :func:`~nntune.train.loop.fit` (same initial weights, batch order, records, early
stopping), so its curves match ``fit(params_k, seed=seeds[k])`` up to float rounding;
only dropout masks are drawn differently.

What a stack gives back of one member (a solo model, its result, a checkpoint) is
:class:`~nntune.train.stack_results.MemberResults`, which :class:`Stack` extends; this
module holds the members' comings and goings and the training.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from nntune.exceptions import ConfigError
from nntune.train.epochs import EarlyStopping, divergence, epoch_record, epoch_scores, stopping_settings
from nntune.train.heap import retained_heap
from nntune.train.live import apply_changes
from nntune.train.basics import (
    EVAL_BATCH, batch_starts, count_outputs, derive_seed, float_inputs, model_input_shape, pick_device,
    resolve_batch_size, resolve_params,
)
from nntune.train.metrics import best_possible, check_metric, metric_direction, metric_options, targets_numpy
from nntune.train.models import build_model
from nntune.train.optim import current_lr, restore_optimizer
from nntune.train.splits import Splits
from nntune.train.stack_key import OPTIMIZER_FAMILY, structure_difference, structure_key
from nntune.train.stack_models import (
    StackedNet, check_conv_layout, cudnn_benchmark, default_cudnn_benchmark, probe_moments, stacked_loss,
)
from nntune.train.stack_member import (Member, Settings, StackReport, StackResult, check_member, clock_for,
                                       member_seed, member_settings, positive_count)
from nntune.train.stack_optim import StackedOptimizer
from nntune.train.stack_results import MemberResults
from nntune.train.threads import SizedThreads, step_flops


class Stack(MemberResults):
    """Members of one structure on one device. ``structure`` is any member's params.

    Two settings change how the convolutions run, never what they compute (beyond float
    rounding): ``conv_layout``, ``"channels_last"`` or ``"nchw"`` (None: the device's
    default, :func:`~nntune.train.stack_models.default_conv_layout`), and on CUDA
    ``cudnn_benchmark``, ``torch.backends.cudnn.benchmark`` while the stack trains (the
    caller's setting put back after each epoch; None: the device's default,
    :data:`~nntune.train.stack_models.DEFAULT_CUDNN_BENCHMARK`, which leaves it as it is)."""

    def __init__(self, structure: Mapping[str, Any], splits: Splits, *, metric: str = "accuracy", capacity: int = 1,
                 device: str | torch.device | None = None, seed: int = 0,
                 augment: Callable[[Tensor], Tensor] | None = None,
                 eval_transform: Callable[[Tensor], Tensor] | None = None, auto_compact: bool = True,
                 conv_layout: str | None = None, cudnn_benchmark: bool | None = None) -> None:
        task = splits.task_type
        capacity = positive_count("capacity", capacity)
        if len(splits.y_train) == 0 or len(splits.y_val) == 0:
            raise ConfigError("splits", "the training and validation splits must both hold samples")
        check_metric(metric, task)
        hp = resolve_params(structure, task)
        self.splits, self.task, self.metric = splits, task, metric
        self.metric_options = metric_options(splits.info)  # the task's positive class and beta, if any
        self.device = pick_device(device)
        self.input_shape = model_input_shape(splits, eval_transform)
        self.n_outputs = count_outputs(splits)
        self.n_classes = self.n_outputs if task == "classification" else 0
        self.key = structure_key(hp, self.input_shape, self.n_outputs)
        # Built with dropout on so that the stacked net has a dropout step wherever a member may need one.
        with torch.random.fork_rng(devices=[]):  # building draws from the global generator: keep the caller's
            template = build_model({**hp, "dropout": 0.5, "init": "default"}, self.input_shape, self.n_outputs)
        self.net = StackedNet(template, capacity, self.device, check_conv_layout(conv_layout, self.device))
        # Left as it is by default: the search runs once per new shape, and a stack's shapes
        # change with its capacity; see stack_models.cudnn_benchmark.
        self.cudnn_benchmark = default_cudnn_benchmark(self.device) if cudnn_benchmark is None else cudnn_benchmark
        self.bs = resolve_batch_size(hp["batch_size"], len(splits.y_train))
        self.member_flops = step_flops(template, self.input_shape, self.bs)  # one member's training step
        self.family = OPTIMIZER_FAMILY[hp["optimizer"]]
        self.opt = StackedOptimizer(self.net.parameters(), [self.net.decay[n] for n in self.net.params], self.family)
        self.l1 = torch.zeros(capacity, device=self.device)
        self.huber = torch.ones(capacity, device=self.device)  # each member's Huber delta
        self._summaries: dict[Hashable, list[dict[str, Any]]] = {}
        self.members: dict[int, Member] = {}
        self.augment, self.eval_transform, self.auto_compact = augment, eval_transform, auto_compact
        self.use_amp = bool(hp["amp"]) and self.device.type == "cuda"
        self.drop_gen = torch.Generator(device=self.device).manual_seed(derive_seed(member_seed(seed), 2))
        self._loss = stacked_loss(hp["loss"], task, self.n_classes)
        y_dtype = torch.long if task == "classification" else torch.float32
        # float64 features (numpy's default) as float32, as fit takes them
        self.x_train = float_inputs(splits.x_train).to(self.device)
        self.x_val = float_inputs(splits.x_val).to(self.device)
        self.y_train, self.y_val = splits.y_train.to(self.device, y_dtype), splits.y_val.to(self.device, y_dtype)
        self.n_train = len(self.y_train)
        has_bn = bool(hp["batchnorm"])
        if has_bn and self.bs == 1:
            raise ConfigError("batch_size", "batch normalization needs batches of 2 or more")
        self.starts = batch_starts(self.n_train, self.bs, has_bn)
        self.n_seen = min(self.n_train, self.starts[-1] + self.bs)
        self.batch_sizes = torch.tensor([min(self.bs, self.n_train - s) for s in self.starts], device=self.device)
        self.mean, self.std = float(splits.target_mean), float(splits.target_std)
        self.y_val_np = targets_numpy(self.y_val, task, self.mean, self.std)

    # ------------------------------------------------------------ membership

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

    def set_params(self, slot: int, params: Mapping[str, Any]) -> None:
        """New hyperparameters for a member between epochs, kept as a resumed ``fit`` keeps
        them: a new lr rescales the schedule, the optimizer state carries over."""
        m = self.member(slot)
        hp = self._resolve(params)
        clock, schedule = clock_for(hp)
        saved = {"params": m.hp, "optimizer": m.clock.state_dict(), "scheduler": m.schedule.state_dict()}
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
        is a resume's (PBT's explore): the schedule goes on from the rate reached, and under
        a cosine schedule new ``epochs`` stretch or shrink its period."""
        m = self.member(slot)
        hp = self._resolve({**m.hp, **changes})  # a structural change is refused here
        check_member(hp)  # every value first: a change refused halfway would leave the member half changed
        live = dict(m.hp)
        # The member's clock is its solo optimizer at the rate reached. Its dropout is a rate
        # of the stacked net (written by _apply), not a module of a solo model.
        m.schedule = apply_changes({k: hp[k] for k in changes if k != "dropout"}, live, nn.Module(), m.clock,
                                   m.schedule)
        m.hp = {**live, "dropout": hp["dropout"]}
        old = m.stopping
        m.stopping = replace(self._stopping(m.hp), best_epoch=old.best_epoch, best_value=old.best_value,
                             bad_epochs=old.bad_epochs)
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

    # ------------------------------------------------------------ training

    def loss_fn(self, out: Tensor, y: Tensor) -> Tensor:
        """Each slot's mean loss [K] of outputs [K, batch, n] against targets [K, batch, ...]."""
        return self._loss(out, y, self.huber)

    def predict(self, x: Tensor) -> Tensor:
        """Every slot's raw outputs [K, len(x), n_outputs] (eval mode), in chunks."""
        # Rows per pass shrink as members grow; images, whose activations are large, less so.
        rows = max(self.bs, min(EVAL_BATCH, EVAL_BATCH * (1 if self.net.image else 16) // (4 * self.capacity)))
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16) if self.use_amp else nullcontext()
        prepare = self.eval_transform or (lambda xb: xb)
        with torch.no_grad(), autocast:
            return torch.cat([self.net.forward(prepare(x[i:i + rows]), train=False, shared=True).float()
                              for i in range(0, len(x), rows)], dim=1)

    @retained_heap()  # stacked activations are tens of MB: reused, not faulted in every step
    def run_epoch(self, report: StackReport | None = None) -> list[StackResult]:
        """Train every member one epoch; returns the results of the members that ended
        (their epochs done, stopped early or by ``report``, or diverged), now removed; one
        whose epochs or early stopping a change ended already ends untrained, as ``fit`` ends it.
        Threads are sized to the whole stack's work per step (every slot's), as ``fit``
        sizes them to one model's."""
        with SizedThreads() as threads, self.conv_settings():
            if self.device.type == "cpu":
                threads.size_to(self.member_flops * self.capacity, self.device)
            return self._epoch(report)

    def conv_settings(self) -> AbstractContextManager[None]:
        """The stack's cuDNN setting for a block of its steps (see the class docstring)."""
        return cudnn_benchmark(self.cudnn_benchmark if self.net.image else None, self.device)

    def forward_backward(self, idx: Tensor, mask: Tensor, *, l1: bool = False,
                         probe: dict[str, list[Tensor]] | None = None) -> tuple[Tensor, Tensor]:
        """The first half of a training step: each slot's batch (rows ``idx[k]`` of the
        training split for slot k), forward, loss and backward, the gradients of the slots
        where ``mask`` is 1 left in the parameters for :attr:`opt`. ``l1``: add each
        member's L1 penalty. Returns each slot's mean batch loss [K] and its outputs."""
        k = self.capacity
        xb = self.net.gather(self.x_train, idx, self.augment)
        yb = self.y_train.index_select(0, idx.reshape(-1)).view(idx.shape + self.y_train.shape[1:])
        with torch.autocast(self.device.type, dtype=torch.bfloat16) if self.use_amp else nullcontext():
            out = self.net.forward(xb, train=True, probe=probe, generator=self.drop_gen)
            loss = self.loss_fn(out, yb)
        total = (loss * mask).sum()
        if l1:
            total = total + sum((p.abs().reshape(k, -1).sum(1) * self.l1).sum()
                                for n, p in self.net.params.items() if self.net.decay[n])
        self.opt.zero_grad()
        total.backward()
        return loss, out

    def _epoch(self, report: StackReport | None) -> list[StackResult]:
        # Members that end untrained, as fit ends them right after a change: their epochs
        # lowered to those done (change_params, set_params) or early stopping changed to stop.
        finished = [slot for slot, m in sorted(self.members.items()) if m.stopped_early or m.epoch >= m.hp["epochs"]]
        results = [self._take_out(slot, clear=True) for slot in finished]
        return results + self._train_epoch(report) if self.members else results

    def _train_epoch(self, report: StackReport | None) -> list[StackResult]:
        t0 = time.perf_counter()
        active = sorted(self.members)
        k = self.capacity
        mask = torch.zeros(k, device=self.device)
        mask[active] = 1
        orders = torch.zeros(k, self.n_train, dtype=torch.long)
        for slot in active:
            orders[slot] = torch.randperm(self.n_train, generator=self.members[slot].batch_gen)
        orders = orders.to(self.device)
        any_l1 = any(self.members[s].l1 > 0 for s in active)
        losses, outputs = [], []
        grads, moments = None, None
        for step, start in enumerate(self.starts):
            probe: dict[str, list[Tensor]] | None = {} if step == 0 else None
            loss, out, norms = self.train_step(orders[:, start:start + self.bs], mask, any_l1=any_l1, probe=probe)
            if step == 0:
                grads = norms
                moments = probe_moments(probe or {}, self.net.layer_names)
            losses.append(loss)
            # max's indices are argmax's (the first of equal values) at a third less time over [K, batch, classes]
            outputs.append(out.max(-1).indices if self.task == "classification" else out.float())
        train_loss = ((torch.stack(losses).float().t() @ self.batch_sizes.float()) / self.n_seen).tolist()
        val_out = self.predict(self.x_val)
        val_loss = self.loss_fn(val_out, self.y_val.expand(k, *self.y_val.shape)).tolist()
        # Every member's predictions and targets to the host in one copy each, not a few per
        # member: on a GPU each copy waits on the device.
        train_pred, val_out = torch.cat(outputs, dim=1).cpu(), val_out.cpu()
        seen_targets = self.y_train[orders[:, :self.n_seen]].cpu()
        records: dict[int, dict[str, Any]] = {}
        ended: list[int] = []
        for slot in active:
            m = self.members[slot]
            m.epoch += 1
            m.iterations += len(self.starts)
            problem = divergence(m.epoch, "training", train_loss[slot]) or divergence(m.epoch, "validation", val_loss[slot])
            if problem is not None:
                m.diverged = problem
                ended.append(slot)
                continue
            y_seen = targets_numpy(seen_targets[slot], self.task, self.mean, self.std)
            pred = train_pred[slot].reshape(self.n_seen, -1).squeeze(-1)
            train_score, val_score = epoch_scores(self.metric, self.task, y_seen, pred, self.y_val_np, val_out[slot],
                                                  self.y_val, self.n_classes, self.mean, self.std,
                                                  self.metric_options)
            acts = moments[slot].stats() if moments is not None else []
            layers = [{"name": name, "grad_norm": float(grads[i, slot]), "act_mean": a[0], "act_std": a[1],
                       "act_zero_frac": a[2]} for i, (name, a) in enumerate(zip(self.net.layer_names, acts))]
            records[slot] = epoch_record(m.epoch, m.iterations, self.metric, train_loss[slot], train_score,
                                         val_loss[slot], val_score, current_lr(m.clock), layers)
            m.schedule.step(val_loss[slot])
            self.opt.set_lr(slot, current_lr(m.clock))
        share = (time.perf_counter() - t0) / len(active)  # the stack's time shared out among its members
        for slot, record in records.items():
            m = self.members[slot]
            record["epoch_time"] = share
            m.history.append(record)
            value = record["value"]
            if m.stopping.update(m.epoch, value) and m.stopping.enabled:
                m.best_state = self.net.member_state(slot)
            if report is not None and report(m.key, m.epoch, record):
                m.stopped_by_report = True
                ended.append(slot)
            elif m.stopping.should_stop(value):
                m.stopped_early = True
                ended.append(slot)
            elif m.epoch >= m.hp["epochs"]:
                ended.append(slot)
        compacting = self.auto_compact and self.capacity > 1 and len(self.members) - len(ended) <= self.capacity // 2
        results = [self._take_out(slot, clear=not compacting) for slot in sorted(ended)]
        if compacting:  # the freed slots are dropped: clearing them first would be wasted
            self.compact()
        return results

    def train_step(self, idx: Tensor, mask: Tensor, *, any_l1: bool = False,
                   probe: dict[str, list[Tensor]] | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """One optimizer step of every slot on training rows ``idx`` [K, batch] (a slot of
        ``mask`` 0 computes but adds no loss): the slots' losses and outputs, detached, and
        with ``probe`` (filled with activations) the gradient norms before clipping."""
        loss, out = self.forward_backward(idx, mask, l1=any_l1, probe=probe)
        grads = self.net.grad_norms().cpu() if probe is not None else None
        self.opt.clip_grad_norms()
        self.opt.step()
        return loss.detach(), out.detach(), grads

    def run(self, report: StackReport | None = None) -> list[StackResult]:
        """Epochs until every member has ended; the results in the order members ended."""
        results: list[StackResult] = []
        while self.members:
            results.extend(self.run_epoch(report))
        return results
