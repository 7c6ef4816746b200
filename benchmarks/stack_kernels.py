"""Which batched kernel trains K small models fastest on this machine?

Times one forward+backward pass of K stacked layers: dense layers as a loop of K
matmuls, one ``torch.baddbmm`` and ``torch.func.vmap``; 3x3 convolutions (the two of the
benchmark CNN and a wider one) as a loop of K convolutions, one grouped convolution
(``groups=K``) in the default and the channels-last layout, ``vmap`` and the patches
unfolded into one batched matmul. Prints milliseconds per pass and ratios to the loop.

Measured at K=32 on one thread of the 2-core machine, by CPU time (ms; its wall time at
a load of 9 in brackets), conv 1->8 at 28x28: loop 74 (262), grouped 83 (298), grouped
channels-last 83 (156), vmap 138 (355), unfold 128 (376); conv 8->16 at 14x14: loop 43
(117), grouped 43 (187), grouped channels-last 36 (102), vmap 48 (117), unfold 181 (359).
On a CPU a stacked convolution of these sizes costs about what K separate ones cost: the
work is moving the activations through memory, not the calls; the stacked trainer keeps
the grouped channels-last form: the fastest under load, within 12% of the loop alone.
Dense layers: baddbmm 5.6x the loop.

``--cnn-step`` profiles whole epochs of the benchmark CNN (2 conv blocks of 8 and 16
filters, 64 units, batch 64, mnist_5k) by op: K members stacked against one ``fit``, CPU
ms per member and epoch on one pinned thread, K=32, load 5.4:

    op                 solo fit   stacked, heap not kept   stacked
    conv forward           82.2        67.6                  57.9
    conv backward         114.9       106.8                 103.2
    max pool forward      168.9        72.2                  70.7
    max pool backward      11.4        22.2                  20.5
    zero fills              7.3        17.1                  13.8
    relu                   34.9        19.7                  18.7
    copies, layouts         4.8        15.7                  14.3
    dense, loss            21.3        12.8                  11.9
    other                  52.6        10.5                   9.5
    total                 498         345                   320

(A run at load 4.3: solo 481, stacked 289, its convolutions 140 and pooling 101.)
Stacking already cuts the costs per member where it can (the solo's pooling, ReLU and
Python, by 2-5x); what is left is the convolutions, 140-161 ms per member stacked, and
max pooling in ATen's kernel (int64 indices, then a zero fill of the whole input
gradient), about 100 ms; alone, on warm memory, pooling 32 members' first activation
(51 MB) takes 10-16 ms, a ReLU over it 9-12 ms: the stacked step is bound by memory
traffic. Against a solo epoch of 480-500 ms the convolutions alone cap the ratio at
3.1-3.4x and the convolutions with ATen's pooling at 1.9-2.0x (measured: 1.55-1.67x on
this thread); on one thread 3x would need pooling, ReLU and the rest in under 20 ms per
member, that is a convolution fused with its pooling. On two threads, quiet, the whole
``stacked.py --quick`` CNN run reached 3.0-3.1x: the stack's large operations split over
the cores far better than one small model's (the solo CNN gains little from its second
thread). Tried and
dropped: ``torch.compile`` of the stacked step (inductor, C++) took 70 s to compile and
then ran slower (260 against 155 ms a step at K=32); the first convolution as 9 taps
unfolded into one batched matmul (forward 102 against oneDNN's 12 ms, weight gradient 90
against 22); members in chunks of 8 (stacks of K=8 cost 276-291 ms per member against
315-324 at K=32, within the load's noise). The first convolution's input gradient is not
computed (the images need none). "Heap not kept": glibc served each stacked activation
over 32 MB with a fresh mmap and faulted it in page by page every step (1.4 million
faults an epoch at K=32); the stacked epoch now keeps the heap
(:mod:`nntune.train.heap`), which saved 8-20% of its CPU time at load 6-7, measured
alternated, and 2-7% at load 4-5.

``--mlp-step`` does the same for the stacked digits MLP (2 x 128, batch 64): CPU time of
each phase of a step, of validation and the records, and the epoch by op group. Measured
alternated against the previous dense step at load 3-4, one thread, K=32 (µs a step):
gather 220-260 -> 140-160, forward 1420-1560 -> 1250-1330, optimizer 920-990 -> 860-900;
the step 4.9 -> 4.55 ms, of which the batched matmuls are about 2.6 ms. A flat [K, P]
parameter buffer was measured for the optimizer and not kept: its passes take as long as
per parameter (bound by memory, 790-920 against 800-850 µs a step).

On a GPU the question is another: ``--device cuda`` compares the forms of the stacked
CNN's whole training step and of its convolutions there (NCHW or channels-last, cuDNN's
benchmark mode off or on, TF32 on or off, bf16, ``vmap``, against solo ``fit`` steps):
:mod:`stack_kernels_cuda`, which says how to read it; ``--compare --device cpu`` runs the
same on the CPU, to try it without a GPU.

    python benchmarks/stack_kernels.py [--k 32] [--threads 2]
    python benchmarks/stack_kernels.py --cnn-step --threads 1 [--k 32]   # 2 minutes
    python benchmarks/stack_kernels.py --mlp-step --threads 1 [--k 32]   # 20 seconds
    python benchmarks/stack_kernels.py --device cuda [--k 32 128]        # about a minute on an H200
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.func import vmap


def timed(fn: Callable[[], torch.Tensor], repeats: int = 20) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn().sum().backward()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def dense(k: int, batch: int = 64, n_in: int = 128, n_out: int = 128) -> dict[str, float]:
    x = torch.randn(k, batch, n_in)
    w = torch.randn(k, n_out, n_in, requires_grad=True)
    b = torch.randn(k, n_out, requires_grad=True)
    return {
        "loop": timed(lambda: torch.stack([F.linear(x[i], w[i], b[i]) for i in range(k)])),
        "baddbmm": timed(lambda: torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))),
        "vmap": timed(lambda: vmap(F.linear)(x, w, b)),
    }


def conv(k: int, batch: int = 64, c_in: int = 16, c_out: int = 32, size: int = 14) -> dict[str, float]:
    return {form: timed(fn) for form, fn in conv_forms(k, batch, c_in, c_out, size).items()}


def conv_forms(k: int, batch: int, c_in: int, c_out: int, size: int, device: torch.device | str = "cpu",
               input_grad: bool = False) -> dict[str, Callable[[], torch.Tensor]]:
    """Each form of K stacked 3x3 convolutions, as a call giving its output; each input is
    made in its layout beforehand, as a stacked network's layers receive it. ``input_grad``:
    the input's gradient is computed too (every convolution's but the first's)."""
    x = torch.randn(k, batch, c_in, size, size, device=device, requires_grad=input_grad)
    w = torch.randn(k, c_out, c_in, 3, 3, device=device, requires_grad=True)
    b = torch.randn(k, c_out, device=device, requires_grad=True)
    xg = x.detach().transpose(0, 1).reshape(batch, k * c_in, size, size).requires_grad_(input_grad)
    xg_last = xg.detach().contiguous(memory_format=torch.channels_last).requires_grad_(input_grad)

    def grouped(inputs: torch.Tensor) -> torch.Tensor:
        return F.conv2d(inputs, w.reshape(k * c_out, c_in, 3, 3), b.reshape(-1), padding=1, groups=k)

    def im2col() -> torch.Tensor:  # the patches of every member as one batched matmul
        cols = F.unfold(x.reshape(k * batch, c_in, size, size), 3, padding=1)
        cols = cols.view(k, batch, c_in * 9, size * size).transpose(1, 2).reshape(k, c_in * 9, -1)
        return torch.baddbmm(b.unsqueeze(-1), w.reshape(k, c_out, c_in * 9), cols)

    return {
        "loop": lambda: torch.stack([F.conv2d(x[i], w[i], b[i], padding=1) for i in range(k)]),
        "grouped": lambda: grouped(xg),
        "grouped channels-last": lambda: grouped(xg_last),
        "vmap": lambda: vmap(lambda xi, wi, bi: F.conv2d(xi, wi, bi, padding=1))(x, w, b),
        "unfold+baddbmm": im2col,
    }


CNN = {"model": "cnn", "conv_layers": 2, "filters": 8, "units": 64, "batch_size": 64, "epochs": 100,
       "optimizer": "momentum", "lr": 0.01, "momentum": 0.9}
OP_GROUPS = (("conv forward", ("mkldnn_convolution",)), ("conv backward", ("convolution_backward",)),
             ("max pool forward", ("max_pool2d_with_indices",)),
             ("max pool backward", ("max_pool2d_with_indices_backward",)),
             ("zero fills", ("fill_", "zero_")),
             ("relu", ("relu", "relu_", "clamp_min", "clamp_min_", "threshold_backward")),
             ("copies, layouts", ("copy_", "clone", "contiguous", "index")),
             ("dense, loss", ("bmm", "baddbmm", "addmm", "mm")))
MLP = {"model": "mlp", "layers": 2, "units": 128, "batch_size": 64, "epochs": 100,
       "optimizer": "momentum", "lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4}
MLP_GROUPS = (("dense matmuls", ("bmm", "baddbmm", "addmm", "mm")),
              ("optimizer", ("addcmul_", "addcmul", "lerp_", "sqrt", "div_", "div", "mul_")),
              ("relu", ("relu", "relu_", "clamp_min", "clamp_min_", "threshold_backward")),
              ("bias add, bias grad", ("add_", "sum")),
              ("batch gather", ("index", "index_select")),
              ("loss, predictions", ("max", "argmax", "_log_softmax", "_log_softmax_backward_data",
                                     "nll_loss2d_forward", "nll_loss2d_backward", "nll_loss_forward",
                                     "nll_loss_backward")),
              ("copies, fills", ("copy_", "clone", "contiguous", "fill_", "zero_", "empty", "empty_strided")))


def op_group(name: str, groups: tuple[tuple[str, tuple[str, ...]], ...] = OP_GROUPS) -> str:
    """The row of the table an ATen op's time goes to (the CNN's cross-entropy ops by prefix)."""
    if groups is OP_GROUPS and name.lstrip("_").startswith(("nll_loss", "log_softmax")):
        return "dense, loss"
    return next((group for group, names in groups if name in names), "other")


def grouped_ops(prof: Any, groups: tuple[tuple[str, tuple[str, ...]], ...] = OP_GROUPS) -> dict[str, float]:
    """Self ms of a profile's ops, summed by :func:`op_group`."""
    out: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        out[op_group(event.key.removeprefix("aten::"), groups)] += event.self_cpu_time_total / 1e3
    return out


def step_phases(stack: Any, steps: int) -> dict[str, float]:
    """Median CPU µs of each phase of a stacked training step (the steps of
    ``Stack._epoch`` without its probe and records), over ``steps`` steps."""
    k, pt = stack.capacity, time.process_time
    orders = torch.stack([torch.randperm(stack.n_train) for _ in range(k)])
    mask = torch.ones(k)
    phases: dict[str, list[float]] = defaultdict(list)
    for step in range(steps):
        start = stack.starts[step % len(stack.starts)]
        t0 = pt()
        idx = orders[:, start:start + stack.bs]
        xb = stack.net.gather(stack.x_train, idx, None)
        yb = stack.y_train.index_select(0, idx.reshape(-1)).view(idx.shape)
        t1 = pt()
        out = stack.net.forward(xb, train=True, generator=stack.drop_gen)
        t2 = pt()
        loss = stack.loss_fn(out, yb)
        total = (loss * mask).sum()
        t3 = pt()
        stack.opt.zero_grad()
        total.backward()
        t4 = pt()
        stack.opt.clip_grad_norms()
        stack.opt.step()
        t5 = pt()
        loss.detach(), out.detach().max(-1).indices
        t6 = pt()
        for name, a, b in (("batch gather", t0, t1), ("forward", t1, t2), ("loss", t2, t3), ("backward", t3, t4),
                           ("optimizer", t4, t5), ("train predictions", t5, t6)):
            phases[name].append((b - a) * 1e6)
    return {name: statistics.median(v) for name, v in phases.items()}


def cnn_step(k: int, epochs: int = 2, train_size: int | None = None) -> dict[str, dict[str, float]]:
    """CPU ms per member and epoch of the benchmark CNN on mnist_5k: K members stacked (and
    without :mod:`nntune.train.heap`) against one solo ``fit`` epoch, by op: each op's
    share of ``torch.autograd.profiler``'s self time apportions the epoch's CPU time.
    Returns the printed table, column by column; ``train_size`` trains on fewer images."""
    from nntune.train.data import load_splits
    from nntune.train.loop import fit
    from nntune.train.stack import Stack

    splits = load_splits("mnist_5k", train_size=train_size)
    stack = Stack(CNN, splits, capacity=k, device="cpu")
    for i in range(k):
        stack.add({**CNN, "lr": 0.002 * (1 + i % 8)}, seed=i)
    solo = {**CNN, "epochs": 1}
    stack.run_epoch()
    fit(solo, splits, seed=0, device="cpu")
    columns: dict[str, dict[str, float]] = {}
    totals: dict[str, list[float]] = defaultdict(list)
    for _ in range(epochs):  # alternated, so a change of load hits each alike
        for name, run, share in (("solo fit", lambda: fit(solo, splits, seed=0, device="cpu"), 1),
                                 ("stacked, heap not kept", lambda: Stack.run_epoch.__wrapped__(stack), k),
                                 ("stacked", stack.run_epoch, k)):
            with torch.autograd.profiler.profile(use_kineto=False) as prof:
                t0 = time.process_time()
                run()
                totals[name].append((time.process_time() - t0) * 1e3 / share)
            # The profiler clocks wall time, which other processes stretch; each op's share of it
            # apportions the run's CPU time.
            ops = grouped_ops(prof)
            scale = totals[name][-1] / sum(ops.values())
            columns[name] = {g: ms * scale for g, ms in ops.items()}
    groups = [g for g, _ in OP_GROUPS] + ["other"]
    print(f"K={k} CNN on mnist_5k, CPU ms per member and epoch (load {os.getloadavg()[0]:.1f}):")
    print(f"{'':18}" + "".join(f"{name:>24}" for name in columns))
    for group in groups:
        print(f"{group:18}" + "".join(f"{columns[name].get(group, 0.0):24.1f}" for name in columns))
    print(f"{'total (last run)':18}" + "".join(f"{totals[name][-1]:24.1f}" for name in columns))
    print(f"{'total, median':18}" + "".join(f"{statistics.median(totals[name]):24.1f}" for name in columns))
    return columns


def mlp_step(k: int, epochs: int = 6) -> tuple[dict[str, float], dict[str, float]]:
    """The benchmark MLP (2 x 128, batch 64, SGD with momentum and weight decay) on digits,
    K members stacked, on the threads set: (1) CPU µs of each phase of a training step
    (medians over 10 epochs' steps, ``time.process_time``); (2) CPU ms of whole epochs
    and of their parts after the steps (validation, records); (3) each op group's share
    of ``torch.autograd.profiler``'s self time, apportioning the epoch's CPU time as in
    :func:`cnn_step` ("Python and the rest": the profiled wall time less its ops').
    Returns (1) and (3) as printed."""
    from nntune.train.data import load_splits
    from nntune.train.heap import retained_heap
    from nntune.train.stack import Stack

    splits = load_splits("digits")
    stack = Stack(MLP, splits, capacity=k, device="cpu")
    for i in range(k):
        stack.add({**MLP, "lr": 0.002 * (1 + i % 8), "momentum": 0.5 + 0.05 * (i % 8)}, seed=i)
    stack.run_epoch()
    with retained_heap():  # as in a stacked epoch
        phases = step_phases(stack, 10 * len(stack.starts))
    predict = stack.predict
    marks: list[float] = []

    def timed_predict(x: torch.Tensor) -> torch.Tensor:
        marks.append(time.process_time())
        out = predict(x)
        marks.append(time.process_time())
        return out

    stack.predict = timed_predict  # type: ignore[method-assign]
    whole, val, rest = [], [], []
    for _ in range(epochs):
        t0 = time.process_time()
        stack.run_epoch()
        t1 = time.process_time()
        whole.append((t1 - t0) * 1e3)
        val.append((marks[-1] - marks[-2]) * 1e3)
        rest.append((t1 - marks[-1]) * 1e3)
    stack.predict = predict  # type: ignore[method-assign]
    columns: list[dict[str, float]] = []
    for _ in range(2):
        with torch.autograd.profiler.profile(use_kineto=False) as prof:
            t0 = time.perf_counter()
            stack.run_epoch()
            wall = (time.perf_counter() - t0) * 1e3
        ops = grouped_ops(prof, MLP_GROUPS)
        ops["Python and the rest"] = max(0.0, wall - sum(ops.values()))
        columns.append(ops)
    total = statistics.median(whole)
    print(f"K={k} MLP 2x128 on digits, {torch.get_num_threads()} thread(s), load {os.getloadavg()[0]:.1f}")
    print(f"CPU µs per training step ({len(stack.starts)} steps an epoch), medians:")
    for name, us in phases.items():
        print(f"  {name:22}{us:8.0f}")
    print(f"  {'sum':22}{sum(phases.values()):8.0f}")
    print(f"CPU ms per epoch: whole {total:.1f} (runs {', '.join(f'{t:.0f}' for t in whole)}), of which "
          f"validation {statistics.median(val):.1f} and records after it {statistics.median(rest):.1f}")
    shares = {g: statistics.median(c.get(g, 0.0) / sum(c.values()) for c in columns) for g in columns[0]}
    scale = total / sum(shares.values())
    print("CPU ms per epoch by op (profiler shares):")
    groups = [g for g, _ in MLP_GROUPS] + ["other", "Python and the rest"]
    by_op = {group: shares.get(group, 0.0) * scale for group in groups}
    for group, ms in by_op.items():
        print(f"  {group:22}{ms:8.1f}")
    return phases, by_op


def device_profile(label: str, step: Callable[[], None], device: torch.device, n: int = 5, top: int = 8) -> None:
    """Prints the device's busy time in ``n`` calls of ``step`` against their wall time, and
    the costliest kernels (on the CPU: the ops' own CPU time)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    step()
    sync()
    with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])) as prof:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        sync()
        wall = (time.perf_counter() - t0) * 1e6
    by_name: dict[str, float] = defaultdict(float)
    for event in prof.events() if cuda else ():
        if event.device_type == DeviceType.CUDA:
            by_name[event.name] += event.time_range.elapsed_us()
    if not cuda:
        by_name.update({event.key: event.self_cpu_time_total for event in prof.key_averages()})
    busy = sum(by_name.values())
    if cuda and not busy:
        print(f"\nprofile of {label}: no GPU events recorded (is CUPTI missing?)")
        return
    print(f"\nprofile of {label}: wall {wall / n / 1e3:.2f} ms a step, "
          f"{'GPU busy (kernels, copies)' if cuda else 'CPU ops own time'} {busy / n / 1e3:.2f} ms "
          f"({busy / wall:.0%} of the wall time)")
    for name, us in sorted(by_name.items(), key=lambda item: -item[1])[:top]:
        print(f"  {us / n / 1e3:8.3f} ms {us / max(busy, 1e-9):5.0%}  {name[:100]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=None,
                        help="members stacked (32; each in turn when several; on cuda 32 128)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cnn-step", action="store_true",
                        help="instead: one epoch of the benchmark CNN, stacked against solo, by op")
    parser.add_argument("--mlp-step", action="store_true",
                        help="instead: epochs of the benchmark MLP stacked, CPU time by op")
    parser.add_argument("--device", default="cpu",
                        help="cpu (these kernels), or cuda: the GPU comparison of stack_kernels_cuda.py")
    parser.add_argument("--compare", action="store_true",
                        help="the GPU comparison on --device (implied by --device cuda); further options"
                             " are stack_kernels_cuda.py's")
    args, rest = parser.parse_known_args(argv)
    if (args.compare or args.device != "cpu") and (args.cnn_step or args.mlp_step):
        parser.error("--cnn-step and --mlp-step profile the CPU; the GPU comparison is --device cuda alone")
    if args.compare or args.device != "cpu":
        from stack_kernels_cuda import main as compare  # a sibling script: its folder is on sys.path

        compare(["--device", args.device, *(["--k", *map(str, args.k)] if args.k else []), *rest])
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    torch.set_num_threads(args.threads)
    for k in args.k or [32]:
        if args.cnn_step:
            cnn_step(k)
        elif args.mlp_step:
            mlp_step(k)
        else:
            kernel_table(k)


def kernel_table(k: int) -> None:
    cases = (("dense 128->128, batch 64", dense(k)),
             ("conv 1->8 3x3 28x28, batch 64", conv(k, c_in=1, c_out=8, size=28)),
             ("conv 8->16 3x3 14x14, batch 64", conv(k, c_in=8, c_out=16)),
             ("conv 16->32 3x3 14x14, batch 64", conv(k)))
    for name, result in cases:
        loop = result["loop"]
        cells = "  ".join(f"{kind} {ms:7.2f} ms ({loop / ms:4.1f}x)" for kind, ms in result.items())
        print(f"K={k} {name}: {cells}")


if __name__ == "__main__":
    main()
