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
:class:`~nntune.train.stack_results.MemberResults`, and the members' comings and goings are
:class:`~nntune.train.stack_slots.MemberSlots`, its subclass, which :class:`Stack` extends;
this module builds the stack and holds the training.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import Tensor

from nntune.exceptions import ConfigError
from nntune.train.epochs import divergence, epoch_record, epoch_scores
from nntune.train.heap import retained_heap
from nntune.train.basics import (
    EVAL_BATCH, batch_starts, count_outputs, derive_seed, float_inputs, model_input_shape, pick_device,
    resolve_batch_size, resolve_params,
)
from nntune.train.metrics import check_metric, metric_options, targets_numpy
from nntune.train.models import build_model
from nntune.train.optim import current_lr
from nntune.train.splits import Splits
from nntune.train.stack_dense import dense_plan, dense_step
from nntune.train.stack_key import OPTIMIZER_FAMILY, structure_key
from nntune.train.stack_models import (
    StackedNet, check_conv_layout, cudnn_benchmark, default_cudnn_benchmark, probe_moments, stacked_loss,
)
from nntune.train.stack_member import Member, StackReport, StackResult, member_seed, positive_count
from nntune.train.stack_optim import StackedOptimizer
from nntune.train.stack_slots import MemberSlots
from nntune.train.threads import SizedThreads, step_flops


class Stack(MemberSlots):
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
        # A plain dense network's step written out without autograd (stack_dense), where it can be.
        self.dense = None if self.use_amp else dense_plan(self.net.ops, hp["loss"], task)
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
            return self._epoch(report, threads)

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
        if self.dense is not None and probe is None:
            self.opt.zero_grad()
            return dense_step(self.net, self.dense, xb, yb, mask, self.drop_gen, self.l1 if l1 else None)
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

    def _epoch(self, report: StackReport | None, threads: SizedThreads | None = None) -> list[StackResult]:
        # Members that end untrained, as fit ends them right after a change: their epochs
        # lowered to those done (change_params, set_params) or early stopping changed to stop.
        finished = [slot for slot, m in sorted(self.members.items()) if m.stopped_early or m.epoch >= m.hp["epochs"]]
        results = [self._take_out(slot, clear=True) for slot in finished]
        return results + self._train_epoch(report, threads) if self.members else results

    def _train_epoch(self, report: StackReport | None, threads: SizedThreads | None) -> list[StackResult]:
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
            if threads is not None:
                threads.step()  # fewer threads while other work holds a core
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
                                                  self.metric_options, losses=(train_loss[slot], val_loss[slot]))
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
