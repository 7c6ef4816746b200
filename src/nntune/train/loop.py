"""The trainer: :func:`fit` trains one model from a flat hyperparameter dict, :func:`evaluate` scores it.

``fit`` is one flat loop that reads top to bottom: build, (resume), then per epoch train on
shuffled mini-batches, validate, record, checkpoint, report, and stop early when asked.
Data are tensors already in memory, so batches are index slices of a seeded permutation;
there are no loader workers. The test split is never touched here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nntune.exceptions import ConfigError, TrialDiverged
from nntune.train.basics import (  # re-exported: the trainer's helpers were first defined here
    EVAL_BATCH,
    LOOP_DEFAULTS,
    LOSSES,
    batch_starts,
    count_outputs,
    check_names,
    derive_seed,
    eval_batch_size,
    evaluate,
    float_inputs,
    make_loss,
    model_input_shape,
    pick_device,
    plain,
    predict,
    resolve_batch_size,
    resolve_params,
)
from nntune.train.checkpoints import check_checkpoint_path, checkpoint, resume
from nntune.train.custom_model import is_custom
from nntune.train.epochs import (EarlyStopping, divergence, epoch_record, epoch_scores, save_checkpoint,
                                  stopping_settings)
from nntune.train.live import Changes, apply_changes
from nntune.train.metrics import LOSS, best_possible, check_metric, metric_direction, metric_options, targets_numpy
from nntune.train.models import BATCH_NORMS, build_model, summarize, train_mode
from nntune.train.optim import LrSchedule, build_optimizer, current_lr, decoupled_step, l1_penalty, number
from nntune.train.pool_first import pool_first
from nntune.train.splits import Splits
from nntune.train.stats import LayerProbe
from nntune.train.threads import SizedThreads, ThreadChoice, step_flops

__all__ = [
    "EVAL_BATCH", "LOOP_DEFAULTS", "LOSSES", "FitResult", "Report", "batch_starts", "channels_last", "checkpoint",
    "count_outputs", "derive_seed", "eval_batch_size", "evaluate", "fit", "make_loss", "model_input_shape",
    "pick_device", "plain", "predict", "resolve_batch_size", "resolve_params", "resume",
]

Report = Callable[[int, dict], bool]


@dataclass
class FitResult:
    """What :func:`fit` returns. ``history`` holds the records of the epochs this call ran."""

    model: nn.Module
    history: list[dict[str, Any]]
    epochs: int
    iterations: int
    best_epoch: int
    best_value: float
    stopped_by_report: bool = False
    stopped_early: bool = False
    summary: list[dict[str, Any]] = field(default_factory=list)
    best_record: dict[str, Any] | None = None  # the best epoch's, an epoch before a resume too
    threads: ThreadChoice | None = None  # set when the run's size capped torch's threads


def kept_record(result: FitResult, params: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """The value of the model ``result`` ends with and that epoch's record: the best epoch's
    where early stopping restored its weights (it stopped early, or ``early_stopping`` was
    on), else the last epoch's. A trial is worth this value, a stack's member or execution too."""
    restored = result.stopped_early or bool(params.get("early_stopping"))
    if not restored:
        return float(result.history[-1]["value"]), result.history[-1]
    chosen = next((r for r in result.history if r["epoch"] == result.best_epoch), None)
    if chosen is None:  # the best epoch came before the checkpoint this run resumed
        best = result.best_record
        chosen = best if best is not None and best.get("epoch") == result.best_epoch else result.history[-1]
    return float(result.best_value), chosen


# ---------------------------------------------------------------- the training loop


def channels_last(model: str, device: torch.device, amp: bool) -> bool:
    """Whether an image model trains in the channels-last layout: under AMP on CUDA (its
    convolutions' fast kernels want it), and nntune's own ``cnn`` on the CPU, where ATen's
    max pooling in the default layout runs 6-14x slower than in channels-last and the whole
    step 1.4-2x (``benchmarks/cnn_layout.py``); the ResNets there run as fast or faster as
    they are."""
    return amp and device.type == "cuda" or (model == "cnn" and device.type == "cpu")


def fit(
    params: Mapping[str, Any],
    splits: Splits,
    *,
    metric: str = "accuracy",
    report: Report | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    checkpoint_path: str | Path | None = None,
    resume_from: str | Path | None = None,
    augment: Callable[[Tensor], Tensor] | None = None,
    eval_transform: Callable[[Tensor], Tensor] | None = None,
    changes: Changes | None = None,
    resume_stopping: bool = True,
    built: Callable[[nn.Module], None] | None = None,
) -> FitResult:
    """Train a model described by ``params`` on ``splits`` and return it with its history.

    After each epoch ``report(epoch, record)`` is called; a True answer stops training
    (``stopped_by_report``). ``record["value"]`` is ``val_<metric>``; with ``metric="loss"``
    it is ``val_loss`` itself, the mean data loss of the validation split in eval mode (no L1
    penalty, no weight decay, which acts in the optimizer), and nothing else is scored.
    A non-finite training or validation loss raises :class:`TrialDiverged`. ``train_loss``
    is the mean data loss of the epoch's batches (penalties excluded) and ``train_<metric>`` is scored on the
    predictions made while training (dropout on), which costs no extra pass. A regression
    trains on ``splits.y_*`` as they are, which ``load_splits`` standardizes: its losses
    and ``huber_delta`` are then in standard deviations of the training target, and its
    metrics in the target's own units (``target_mean``, ``target_std`` undo the scaling).
    With ``checkpoint_path`` the state is saved after every epoch (the current weights, not
    the best ones); ``resume_from`` continues such a checkpoint up to ``params["epochs"]``
    with the new params in effect: a new ``lr`` rescales the schedule (new_lr/old_lr), a new
    ``lr_schedule`` or ``warmup_epochs`` starts that schedule afresh at the checkpoint's
    epoch (the base rate, over the epochs that remain), new ``epochs`` give a cosine
    schedule that length, and momentum, betas, weight decay and dropout are rewritten into
    the optimizer and the model.
    ``history`` then holds only the epochs run by this call. ``seed`` also reseeds torch's
    global generator (dropout and PyTorch's default initialization draw from it).
    ``augment`` changes each training batch (random crops, flips); ``eval_transform`` is
    the deterministic counterpart for validation batches, e.g. the resize to 224x224 that
    a random 224x224 crop of 32x32 images needs (:func:`~nntune.train.augment.make_eval_transform`).
    ``changes(epoch, hp)`` is asked after each epoch's checkpoint for hyperparameters to
    change from the next epoch on (:func:`~nntune.train.live.apply_changes`).
    ``resume_stopping``: a resumed run continues the checkpoint's early stopping (its best
    epoch, value and weights, its count of epochs without improvement), as the same run
    continued; False starts it afresh, as a new trial started from another's weights does
    (a PBT child, as a stack's copied member).
    ``built(model)`` is called once the model is built (and resumed), before its first
    epoch: a tuner records there what later changes can reach (a model without Dropout).
    A model whose steps are too small for several threads trains on one
    (:class:`~nntune.train.threads.SizedThreads`); torch's threads are as before afterwards.
    ``amp`` (float16 mixed precision with a gradient scaler) takes effect on CUDA only: on
    the CPU the run is the float32 one, ``amp`` or not.
    """
    with SizedThreads() as threads:
        result = _fit(params, splits, metric=metric, report=report, seed=seed, device=device,
                      checkpoint_path=checkpoint_path, resume_from=resume_from, augment=augment,
                      eval_transform=eval_transform, changes=changes, threads=threads,
                      resume_stopping=resume_stopping, built=built)
    result.threads = threads.capped
    return result


def _fit(params: Mapping[str, Any], splits: Splits, *, metric: str, report: Report | None, seed: int,
         device: str | torch.device | None, checkpoint_path: str | Path | None, resume_from: str | Path | None,
         augment: Callable[[Tensor], Tensor] | None, eval_transform: Callable[[Tensor], Tensor] | None,
         changes: Changes | None, threads: SizedThreads, resume_stopping: bool = True,
         built: Callable[[nn.Module], None] | None = None) -> FitResult:
    task = splits.task_type
    if len(splits.y_train) == 0 or len(splits.y_val) == 0:
        raise ConfigError("splits", "the training and validation splits must both hold samples")
    check_names(params)
    hp = resolve_params(params, task)
    check_metric(metric, task)
    check_checkpoint_path(checkpoint_path)
    options = metric_options(splits.info)  # the task's positive class and beta, if any
    direction, ceiling = metric_direction(metric), best_possible(metric)
    dev = pick_device(device)
    use_amp = bool(hp["amp"]) and dev.type == "cuda"
    image_model = hp["model"] != "mlp" and splits.x_train.dim() == 4
    layout = {"memory_format": torch.channels_last} if channels_last(hp["model"], dev, use_amp) and image_model else {}

    # Seeds: the global torch RNG drives PyTorch's default init and dropout; two derived
    # generators fix our own initializers and the batch order independently.
    torch.manual_seed(seed)
    init_gen = torch.Generator().manual_seed(derive_seed(seed, 0))
    batch_gen = torch.Generator().manual_seed(derive_seed(seed, 1))
    # An Augment's own generator (a plain callable may have none) is saved with each checkpoint.
    augment_gen = getattr(augment, "generator", None)
    if not isinstance(augment_gen, torch.Generator):
        augment_gen = None

    n_classes = count_outputs(splits) if task == "classification" else 0
    input_shape = model_input_shape(splits, eval_transform)
    model = build_model(hp, input_shape, count_outputs(splits), generator=init_gen)
    model = model.to(dev, **layout)
    summary = summarize(model, input_shape)
    optimizer = build_optimizer(model, hp)
    schedule = LrSchedule(optimizer, hp, hp["epochs"])
    scaler = torch.amp.GradScaler(dev.type, enabled=use_amp)
    loss_fn = make_loss(hp["loss"], task, n_classes, float(hp["huber_delta"]))
    probe = LayerProbe(model)
    builder_owned = is_custom(hp["model"])  # a model of the user's own runs as written (its hooks see what it built)
    has_bn = any(isinstance(m, BATCH_NORMS) for m in model.modules())
    if has_bn and hp["batch_size"] == 1:
        raise ConfigError("batch_size", "batch normalization needs batches of 2 or more")

    enabled, patience, min_delta = stopping_settings(hp)
    stopping = EarlyStopping(direction, ceiling, min_delta, patience, enabled)
    best_state, best_record = None, None
    start_epoch, iterations = 0, 0
    if resume_from is not None:
        resumed = resume(resume_from, hp, model, optimizer, schedule, dev, batch_gen, augment_gen,
                         stopping=stopping if resume_stopping else None)
        start_epoch, iterations, best_state = resumed.epoch, resumed.iterations, resumed.best_state
        best_record = resumed.best_record
    if built is not None:
        built(model)

    # Tensors move to the device once; batches are index slices of them.
    x_train, x_val = float_inputs(splits.x_train).to(dev, **layout), float_inputs(splits.x_val).to(dev, **layout)
    y_dtype = torch.long if task == "classification" else torch.float32
    y_train, y_val = splits.y_train.to(dev, y_dtype), splits.y_val.to(dev, y_dtype)
    n_train = len(y_train)
    bs = resolve_batch_size(hp["batch_size"], n_train)
    starts = batch_starts(n_train, bs, has_bn)
    if dev.type == "cpu":  # a large model's forward on zeros costs a moment: only where threads are chosen
        threads.size_to(step_flops(model, input_shape, bs), dev)
    n_seen = min(n_train, starts[-1] + bs)
    mean, std = float(splits.target_mean), float(splits.target_std)
    y_val_np = targets_numpy(y_val, task, mean, std)
    autocast = torch.autocast(dev.type, dtype=torch.float16) if use_amp else nullcontext()
    batch_sizes = torch.tensor([min(bs, n_train - s) for s in starts], dtype=torch.float32, device=dev)
    grad_clip, l1 = number(hp, "grad_clip", 0.0), number(hp, "l1", 0.0)
    eval_batch = eval_batch_size(bs, eval_transform is not None)
    # With the metric ``loss`` the epoch's losses are its scores: no predictions to keep per
    # batch, nor targets to copy to the host each epoch.
    scored = metric != LOSS

    history: list[dict[str, Any]] = []
    stopped_by_report = stopped_early = False
    epoch = start_epoch
    while epoch < hp["epochs"]:  # epochs may change while training
        epoch += 1
        t0 = time.perf_counter()
        train_mode(model)  # a frozen backbone's batch norms keep their statistics
        # The steps that measure nothing run a built-in CNN's ReLUs after its max poolings
        # (pool_first: the same numbers, a third less time a step); built each epoch, since
        # a live change may add modules to the model.
        fast = model if builder_owned else pool_first(model)
        order = torch.randperm(n_train, generator=batch_gen).to(dev)
        # Per-batch losses and predictions stay on the device until the epoch ends: one
        # host sync per epoch instead of one per step.
        batch_losses: list[Tensor] = []
        train_out: list[Tensor] = []
        for step, start in enumerate(starts):
            threads.step()  # fewer threads while other work holds a core
            idx = order[start : start + bs]
            xb, yb = x_train[idx], y_train[idx]
            if augment is not None:
                xb = augment(xb)
            # The first batch of each epoch is probed for per-layer statistics; hooks exist
            # only for that forward pass, so the other batches pay nothing.
            with probe.capture() if step == 0 else nullcontext(), autocast:
                out = (model if step == 0 else fast)(xb)
                loss = loss_fn(out, yb)
            penalty = l1_penalty(model, l1)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss if penalty is None else loss + penalty).backward()
            if use_amp:
                scaler.unscale_(optimizer)  # true gradients for the probe and for clipping
            if step == 0:
                probe.grad_norms()
            if grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            decoupled_step(optimizer)
            scaler.step(optimizer)
            scaler.update()
            iterations += 1
            batch_losses.append(loss.detach())
            if scored:
                train_out.append(out.detach().argmax(-1) if task == "classification" else out.detach().float())

        train_loss = float(torch.stack(batch_losses).float() @ batch_sizes) / n_seen
        if (problem := divergence(epoch, "training", train_loss)) is not None:
            raise TrialDiverged(epoch, problem)
        val_out = predict(fast, x_val, amp=use_amp, batch=eval_batch, transform=eval_transform)
        val_loss = float(loss_fn(val_out, y_val))
        if (problem := divergence(epoch, "validation", val_loss)) is not None:
            raise TrialDiverged(epoch, problem)
        if scored:  # training predictions were collected in the order of this epoch's permutation
            y_seen = targets_numpy(y_train[order[:n_seen]], task, mean, std)
            train_pred = torch.cat(train_out).reshape(n_seen, -1).squeeze(-1)
            train_score, val_score = epoch_scores(
                metric, task, y_seen, train_pred, y_val_np, val_out, y_val, n_classes, mean, std, options,
                losses=(train_loss, val_loss),
            )
        else:
            train_score, val_score = train_loss, val_loss  # as epoch_scores gives for the metric loss
        record = epoch_record(
            epoch, iterations, metric, train_loss, train_score, val_loss, val_score, current_lr(optimizer), probe.records()
        )
        schedule.step(val_loss)  # after validation: plateau watches this epoch's val loss
        record["epoch_time"] = time.perf_counter() - t0
        history.append(record)

        if stopping.update(epoch, val_score):
            best_record = record
            if stopping.enabled:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        # Checkpoint before reporting, so a tuner that copies it on this report sees this epoch.
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, checkpoint(model, optimizer, schedule, epoch, iterations, hp, batch_gen,
                                                        augment_gen, stopping, record, best_state, best_record))
        if changes is not None:
            schedule = apply_changes(changes(epoch, hp), hp, model, optimizer, schedule, epoch=epoch)
            grad_clip, l1 = number(hp, "grad_clip", 0.0), number(hp, "l1", 0.0)
            was_on = stopping.enabled
            stopping.enabled, stopping.patience, stopping.min_delta = stopping_settings(hp)
            if stopping.enabled and not was_on:  # switched on now: the best so far is this epoch
                stopping.restart(epoch, val_score)
                best_record = record
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif was_on and not stopping.enabled:  # switched off: the last epoch's weights are the result
                best_state = None
        if report is not None and report(epoch, record):
            stopped_by_report = True
            break
        if stopping.should_stop(val_score):
            stopped_early = True
            break

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(
        model=model,
        history=history,
        epochs=epoch,
        iterations=iterations,
        best_epoch=stopping.best_epoch,
        best_value=stopping.best_value,
        stopped_by_report=stopped_by_report,
        stopped_early=stopped_early,
        summary=summary,
        best_record=best_record,
    )
