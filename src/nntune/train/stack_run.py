""":func:`fit_stack`: train many configurations, grouped into stacks that fit the device.

Configurations are grouped by structure (:func:`~nntune.train.stack_key.structure_key`);
each group is cut into stacks of at most ``population`` members. ``population="auto"``
takes the largest count whose estimated memory fits: on CUDA the free memory reported by
``torch.cuda.mem_get_info``, on the CPU a budget (``memory_budget`` bytes, by default half
of the available memory). A stack that still runs out of device memory is split in two
and retried, never lost.

On the CPU a stack given more than one thread, whose step holds enough work for each
shard (:data:`SHARD_MIN_FLOPS`), is trained as that many shards side by side, each a stack
of its share of the members with one torch thread (:func:`shard_count`). Members are
independent, so the shards meet only when the last one ends. One stack on two intra-op
threads instead meets at a barrier in every operation, about 100 a step for the digits
MLP: each waits for the slower thread, and when another process takes a core, for a whole
time slice. What shards cost is each stack's own per-step work (its Python and small
operations) paid once per shard: 1.32 s of CPU for 32 MLPs as 2 shards against 1.08 s as
one stack on one thread. Measured on the 2-core machine beside other work (load 4.2-5.3),
32 CNNs for 2 epochs: one stack on 2 intra-op threads 49-57 s against 24-25 s as 2 shards.

Shards are forked processes where that is safe (:mod:`nntune.train.stack_fork`), and
threads of this process elsewhere (not Linux, or other threads running). Threads take the
interpreter's lock between operations: each shard thread of 32 digits MLPs ran 0.62 s of
its 0.70 s and slept 0.08 s (about 2,500 waits for the lock), and on a VM each hand-over
costs more; 32 digits MLPs took 0.85 s as thread shards against 0.72 s as processes. The
shards' results equal one stack's either way.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from nntune.exceptions import ConfigError
from nntune.train.basics import (check_names, count_outputs, model_input_shape, pick_device, resolve_batch_size,
                                 resolve_params)
from nntune.train.models import build_model
from nntune.train.splits import Splits
from nntune.train.stack import Stack, StackReport, StackResult
from nntune.train.stack_fork import can_fork, run_forked
from nntune.train.stack_key import OPTIMIZER_FAMILY, structure_key
from nntune.train.stack_member import as_int, check_member, member_seed
from nntune.train.stack_optim import STATE
from nntune.train.threads import (SizedThreads, asked_threads, runs_active, step_flops, thread_cap,
                                  threads_for_work)

FLOAT_BYTES = 4
# Saved activations, their gradients and the batch-norm / dropout / pooling scratch of one training step.
ACTIVATION_COPIES = 4
CPU_FALLBACK_BUDGET = 2 * 1024**3
CUDA_SHARE = 0.8


def member_bytes(n_params: int, activations_per_sample: int, batch_size: int, family: str) -> int:
    """Estimated memory of one member: weights, gradients and optimizer state, plus the
    activations of one training batch."""
    tensors = n_params * (2 + len(STATE[family]))
    return FLOAT_BYTES * (tensors + ACTIVATION_COPIES * activations_per_sample * batch_size)


def population_size(per_member: int, budget: int, data_bytes: int = 0, limit: int | None = None) -> int:
    """The largest member count whose estimate fits ``budget`` after the data (at least 1)."""
    fits = max(1, (budget - data_bytes) // max(1, per_member))
    return int(fits if limit is None else min(fits, limit))


def available_memory(device: torch.device, memory_budget: int | None = None) -> int:
    """Bytes a stack may use on ``device``: ``memory_budget`` when given; on CUDA a share of
    the free memory; on the CPU half of the memory the system reports available."""
    if memory_budget is not None:
        return int(memory_budget)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * CUDA_SHARE)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 // 2
    except OSError:
        pass
    return CPU_FALLBACK_BUDGET


def activation_count(model: torch.nn.Module, input_shape: Sequence[int]) -> int:
    """Numbers each leaf layer outputs for one sample (one forward pass on zeros)."""
    total = 0

    def hook(_m: torch.nn.Module, _in: Any, out: Any) -> None:
        nonlocal total
        if isinstance(out, Tensor):
            total += out[0].numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_shape))
    finally:
        for h in handles:
            h.remove()
    return total


def estimate_member_bytes(hp: Mapping[str, Any], splits: Splits,
                          eval_transform: Callable[[Tensor], Tensor] | None = None) -> int:
    input_shape = model_input_shape(splits, eval_transform)
    with torch.random.fork_rng(devices=[]):
        model = build_model({**hp, "init": "zeros"}, input_shape, count_outputs(splits))
    n_params = sum(p.numel() for p in model.parameters())
    batch = resolve_batch_size(hp["batch_size"], len(splits.y_train))
    return member_bytes(n_params, activation_count(model, input_shape), batch, OPTIMIZER_FAMILY[hp["optimizer"]])


def member_step_flops(hp: Mapping[str, Any], splits: Splits,
                      eval_transform: Callable[[Tensor], Tensor] | None = None) -> float:
    """One member's training step in floating-point operations (:func:`~nntune.train.threads.step_flops`)."""
    input_shape = model_input_shape(splits, eval_transform)
    with torch.random.fork_rng(devices=[]):
        model = build_model({**hp, "init": "zeros"}, input_shape, count_outputs(splits))
    return step_flops(model, input_shape, resolve_batch_size(hp["batch_size"], len(splits.y_train)))


# The least work a shard's training step must hold (forward and backward, floating-point
# operations) for a stack to be cut into shards. benchmarks/stack_shards.py, digits MLPs
# (9.9 MFLOP a member-step), 2 shards against one stack on 1 and on 2 threads, medians of 3
# alternated runs, wall seconds:
#   alone (load 0.6-1.0, no steal):  K=16 0.57 / 0.55 / 0.36, K=32 0.76 / 1.08 / 0.63,
#                                    K=64 1.24 / 2.11 / 1.19 (K=128, a first run: 2.55 / 4.43 / 2.48);
#   beside one CPU-bound process:    K=16 0.60 / 0.54 / 1.01, K=32 0.99 / 1.05 / 2.50,
#                                    K=64 1.88 / 2.14 / 4.71.
# Alone, one stack on both threads is faster at every K (by 21% at K=32, 4% at K=64, 3% at
# 128); once another process takes a core it is 2.5x slower than shards, which then beat
# both from K=32 (159 MFLOP a shard) on. A core taken for a tenth of the run more than makes
# up for the loss at K=32, on a shared machine the likelier case, so shards start there.
# (Beside the other run, 2 shards of 16 first seemed to run one at a time: both threads
# were waiting for a core, not for each other.)
# Since a run on several threads gives a core back while other work holds it
# (threads.LoadWatch), measured again (2026-12-06, 2 shards / one stack on 2 threads / the
# same watched): alone K=16 0.57 / 0.52 / 0.56, K=32 0.84 / 0.92 / 0.90, K=64 1.61 / 1.71 /
# 1.68; beside one CPU-bound process K=32 1.25 / 2.46 / 1.46 (one thread: 1.60). The watch
# ends the stall, but shards stayed ahead from K=32 on, so the line stays there.
# Shards forked (2026-12-07, 2-core Intel VM, stack_shards.py, medians of 5, 2 shards / one
# stack on 2 threads / the same watched): alone K=32 0.71 / 0.65 / 0.62, K=64 1.30 / 1.29 /
# 1.37; beside one CPU-bound process K=32 1.00 / 2.01 / 1.12 (medians of 3). Even alone,
# ahead beside other work: the line stays. At K=16 two forked shards of 8 took 0.35-0.37 s
# against 0.31-0.32 s as one stack (stacked.py --k 16 --shards 2).
SHARD_MIN_FLOPS = 150e6
# Shards as forked processes: "auto" where that is safe (:func:`~nntune.train.stack_fork.can_fork`;
# the interpreter's lock costs threads 15% on the digits MLPs), "always" on Linux whatever
# else runs, "never": threads of this process.
SHARD_PROCESSES = "auto"


def shard_count(shards: int | str, members: int, device: torch.device, stack_flops: float,
                threads: int, fixed_threads: bool, other_runs: int, cap: int | None,
                augment: bool) -> int:
    """Into how many shards a stack of ``members`` is cut: ``shards`` when it is a count,
    never more than the members. ``"auto"``: on the CPU, the threads nntune's rule gives a run
    of ``stack_flops`` a step (:func:`~nntune.train.threads.threads_for_work` of the
    ``threads`` torch has, or ``threads`` as they are when ``NNTUNE_THREADS`` fixes them),
    within the calling thread's ``cap``; one where the threads are not the stack's to share
    (another run of the process is active), on an accelerator, or with ``augment`` (an
    augmentation may draw from the process's global generator, which shards would share);
    and never so many that a shard's step holds less than :data:`SHARD_MIN_FLOPS`."""
    if shards != "auto":
        return max(1, min(int(shards), members))
    if device.type != "cpu" or augment or other_runs > 0:
        return 1
    wanted = threads if fixed_threads else threads_for_work(threads, stack_flops)
    if cap is not None:
        wanted = min(wanted, cap)
    # Each shard pays its own per-step overhead: below SHARD_MIN_FLOPS a shard, that costs more
    # than one stack's barriers lose when another process takes a core, so the stack stays whole.
    wanted = min(wanted, max(1, int(stack_flops // SHARD_MIN_FLOPS)))
    return max(1, min(wanted, members))


def split_even(chunk: Sequence[int], n: int) -> list[list[int]]:
    """``chunk`` cut in ``n`` consecutive parts whose sizes differ by at most one."""
    return [list(chunk[i * len(chunk) // n:(i + 1) * len(chunk) // n]) for i in range(n)]


def check_population(population: Any) -> int | str | None:
    """``population`` as fit_stack takes it: None, ``"auto"`` or an integer >= 1 (numpy's
    integers too); anything else, a float among them, is a ConfigError naming it."""
    if population is None or isinstance(population, str) and population == "auto":
        return population
    value = as_int(population)
    if value is None or value < 1:
        raise ConfigError("population", f"must be an integer >= 1 or 'auto', got {population!r}")
    return value


def fit_stack(
    params: Sequence[Mapping[str, Any]],
    splits: Splits,
    *,
    metric: str = "accuracy",
    seeds: Sequence[int] | None = None,
    device: str | torch.device | None = None,
    report: StackReport | None = None,
    population: int | str | None = None,
    memory_budget: int | None = None,
    augment: Callable[[Tensor], Tensor] | None = None,
    eval_transform: Callable[[Tensor], Tensor] | None = None,
    shards: int | str = "auto",
) -> list[StackResult]:
    """Train every configuration in ``params``; one :class:`StackResult` each, in order.

    Member i uses ``seeds[i]`` (default 0) as ``fit(params[i], seed=seeds[i])`` would.
    ``report(i, epoch, record)`` is called after each member's epoch; True stops member i.
    ``population``: members per stack (an int), ``"auto"`` (what fits the device) or None
    (all configurations of one structure in one stack).
    ``shards``: each stack trained as this many stacks side by side, one thread each
    (:func:`shard_count`; ``"auto"``: as many as the threads nntune's rule gives the stack on
    the CPU, one elsewhere): on Linux in forked processes when no other thread runs
    (:data:`SHARD_PROCESSES`), ``report`` still called in this process, one call at a time.
    """
    seeds = [member_seed(s) for s in seeds] if seeds is not None else [0] * len(params)
    if len(seeds) != len(params):
        raise ConfigError("seeds", f"need one seed per configuration ({len(params)}), got {len(seeds)}")
    population = check_population(population)
    if not (isinstance(shards, str) and shards == "auto"):
        if (count := as_int(shards)) is None or count < 1:
            raise ConfigError("shards", f"must be an integer >= 1 or 'auto', got {shards!r}")
        shards = count
    dev = pick_device(device)
    input_shape = model_input_shape(splits, eval_transform)
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(params):
        check_names(p)
        hp = resolve_params(p, splits.task_type)
        check_member(hp)  # a refused configuration stops fit_stack before any stack trains, not after
        groups.setdefault(structure_key(hp, input_shape, count_outputs(splits)), []).append(i)
    results: dict[int, StackResult] = {}
    for members in groups.values():
        size = len(members)
        if population == "auto":
            hp = resolve_params(params[members[0]], splits.task_type)
            data = sum(t.numel() * t.element_size() for t in (splits.x_train, splits.x_val))
            size = population_size(estimate_member_bytes(hp, splits, eval_transform), available_memory(dev, memory_budget),
                                   data if dev.type == "cuda" else 0, size)
        elif isinstance(population, int):
            size = population
        chunks = [members[i:i + size] for i in range(0, len(members), size)]
        results.update(split_on_oom(chunks, lambda chunk: run_chunk(
            chunk, params, seeds, splits, metric, dev, report, augment, eval_transform, shards), dev))
    return [results[i] for i in range(len(params))]


def out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` says memory ran out: torch's OutOfMemoryError (CUDA and other
    accelerators) or the CPU allocator's refusal, which torch raises as a plain RuntimeError."""
    return isinstance(err, torch.OutOfMemoryError) or (
        isinstance(err, RuntimeError) and "DefaultCPUAllocator: can't allocate memory" in str(err))


def split_on_oom(chunks: Sequence[Sequence[int]], run: Callable[[Sequence[int]], dict[int, StackResult]],
                 device: torch.device) -> dict[int, StackResult]:
    """``run`` each chunk of configuration indices; a chunk that runs out of device memory
    is cut in two halves, each run in its turn (a single configuration that still does not
    fit raises)."""
    results: dict[int, StackResult] = {}
    pending = [list(chunk) for chunk in chunks]
    while pending:
        chunk = pending.pop(0)
        try:
            results.update(run(chunk))
        except RuntimeError as err:
            if len(chunk) == 1 or not out_of_memory(err):
                raise
            if device.type == "cuda":
                torch.cuda.empty_cache()
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
    return results


def run_chunk(chunk: Sequence[int], params: Sequence[Mapping[str, Any]], seeds: Sequence[int], splits: Splits,
              metric: str, device: torch.device, report: StackReport | None,
              augment: Callable[[Tensor], Tensor] | None,
              eval_transform: Callable[[Tensor], Tensor] | None, shards: int | str = "auto") -> dict[int, StackResult]:
    """Train the configurations ``chunk`` as one stack, or as :func:`shard_count` shards side by side."""
    n = 1
    if len(chunk) > 1 and (shards != "auto" or device.type == "cpu"):
        flops = len(chunk) * member_step_flops(resolve_params(params[chunk[0]], splits.task_type), splits,
                                               eval_transform)
        fixed = asked_threads(os.environ) is not None
        n = shard_count(shards, len(chunk), device, flops, torch.get_num_threads(), fixed, runs_active(),
                        thread_cap(), augment is not None)
    # Built one after another: a member's initial weights are drawn from the global generator.
    stacks = [new_stack(part, params, seeds, splits, metric, device, augment, eval_transform)
              for part in split_even(chunk, n)]
    if n == 1:
        return {int(r.key): r for r in stacks[0].run(report)}  # type: ignore[call-overload]
    if device.type == "cpu" and (SHARD_PROCESSES == "auto" and can_fork()
                                 or SHARD_PROCESSES == "always" and sys.platform.startswith("linux")):
        return {int(r.key): r for r in run_forked([stack.run for stack in stacks], report)}  # type: ignore[call-overload]
    lock = threading.Lock()

    def one_at_a_time(key: Any, epoch: int, record: dict) -> bool:  # report is called from every shard
        with lock:
            return report(key, epoch, record) if report is not None else False

    stop = threading.Event()  # set when a shard fails or the caller is interrupted: the others end their epoch

    def run_shard(stack: Stack) -> list[StackResult]:
        results: list[StackResult] = []
        try:
            while stack.members and not stop.is_set():
                results.extend(stack.run_epoch(one_at_a_time if report is not None else None))
        except BaseException:
            stop.set()
            raise
        return results

    with SizedThreads() as threads:  # held while the shards run: their own epochs leave the count alone
        threads.set_threads(1)
        with ThreadPoolExecutor(n, thread_name_prefix="nntune-shard",
                                initializer=torch.set_num_threads, initargs=(1,)) as pool:
            futures = [pool.submit(run_shard, stack) for stack in stacks]
            try:
                return {int(r.key): r for future in futures for r in future.result()}  # type: ignore[call-overload]
            except BaseException:
                stop.set()
                raise


def new_stack(part: Sequence[int], params: Sequence[Mapping[str, Any]], seeds: Sequence[int], splits: Splits,
              metric: str, device: torch.device, augment: Callable[[Tensor], Tensor] | None,
              eval_transform: Callable[[Tensor], Tensor] | None) -> Stack:
    stack = Stack(params[part[0]], splits, metric=metric, capacity=len(part), device=device,
                  seed=seeds[part[0]], augment=augment, eval_transform=eval_transform)
    for i in part:
        stack.add(params[i], seed=seeds[i], key=i)
    return stack
