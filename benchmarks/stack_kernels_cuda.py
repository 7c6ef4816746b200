"""Which form of the stacked CNN's training step is fastest on a GPU, and by how much?

The benchmark CNN of ``stacked.py`` (2 conv blocks of 8 and 16 filters, 64 units, batch 64,
mnist_5k, SGD with momentum, each member its own lr and weight decay), K members stacked:

* kernels: each of its two convolutions (1->8 at 28x28, 8->16 at 14x14) for K members,
  forward and backward, as a loop of K convolutions, one grouped convolution (``groups=K``)
  in NCHW and in channels-last, ``torch.func.vmap`` and unfolded patches in one batched
  matmul; each in float32 with TF32 (cuDNN's default), in strict float32 (TF32 off) and
  under bf16 autocast;
* steps: the whole training step (batch gather, forward, loss, backward, the fused
  optimizer step) through :class:`~nntune.train.stack.Stack` itself, its convolutions in
  channels-last (the trainer's default) or NCHW, in the same three precisions (bf16: the
  stack's ``amp``), and with ``vmap`` over the solo model (``torch.func.functional_call``)
  in place of the stacked forward; and one solo ``fit`` step, the reference per member.

Every timing is run with ``torch.backends.cudnn.benchmark`` off (cuDNN's heuristics pick
each convolution's algorithm) and on (cuDNN times its candidates once per shape). cuDNN
keeps its choice per shape for the whole process whichever way it was made, so the two
cannot share a process: the "on" half runs in a child process. Times are milliseconds of
wall time per call after warm-up calls: the median of ``--repeats`` blocks of ``--steps``
calls, each block ended by ``torch.cuda.synchronize()``, so a step's host work and its
kernels overlap as in training; "first" is the first call alone, which includes cuDNN's
choice of algorithms (the search, in benchmark mode): what a new stack shape costs once.
"x solo" is K solo steps' time over the stacked step's: the stack's speedup per step.
Then a profile of the fastest step at the largest K: GPU busy time against wall time (a
step whose kernels keep the GPU busy for less than its wall time waits on the host) and
its costliest kernels. The last line is JSON: for each K, today's step, the fastest step
overall and the fastest at today's precision (TF32), and their speedups over solo steps.

    python benchmarks/stack_kernels_cuda.py [--device cuda] [--k 32 128]   # ~1 minute on an H200
    python benchmarks/stack_kernels.py --device cuda [--k 32 128]           # the same
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
import torch.nn.functional as F
from torch.func import functional_call, vmap

from nntune.train.basics import batch_starts, count_outputs, make_loss, model_input_shape
from nntune.train.data import load_splits
from nntune.train.loop import channels_last
from nntune.train.models import build_model
from nntune.train.optim import build_optimizer, decoupled_step
from nntune.train.splits import Splits
from nntune.train.stack import Stack

CNN = {"model": "cnn", "conv_layers": 2, "filters": 8, "units": 64, "batch_size": 64, "epochs": 2,
       "optimizer": "momentum", "momentum": 0.9}
CONVS = (("conv 1->8 3x3 28x28", 1, 8, 28), ("conv 8->16 3x3 14x14", 8, 16, 14))
FORMS = ("loop", "grouped nchw", "grouped channels-last", "vmap", "unfold+bmm")
PRECISIONS = ("tf32", "fp32", "bf16")
# Whole-step variants: (the convolutions' form, precision); the first is the trainer's today.
VARIANTS = (("channels-last", "tf32"), ("nchw", "tf32"), ("channels-last", "fp32"), ("nchw", "fp32"),
            ("channels-last", "bf16"), ("nchw", "bf16"), ("vmap", "tf32"))
TODAY = VARIANTS[0]
Record = dict[str, Any]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], Any], device: torch.device, warmup: int, repeats: int, steps: int) -> dict[str, float]:
    """ms of the first call and the median per call of ``repeats`` blocks of ``steps``."""
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    first = (time.perf_counter() - t0) * 1e3
    for _ in range(warmup):
        fn()
    sync(device)
    blocks = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        sync(device)
        blocks.append((time.perf_counter() - t0) * 1e3 / steps)
    return {"ms": statistics.median(blocks), "first": first}


@contextmanager
def precision(name: str, device: torch.device) -> Iterator[None]:
    """tf32: cuDNN's default for float32 convolutions; fp32: TF32 off (the legacy flag, as the
    tests set it: mixing it with the newer ``fp32_precision`` API raises); bf16: autocast."""
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = name != "fp32"
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16) if name == "bf16" else nullcontext():
            yield
    finally:
        torch.backends.cudnn.allow_tf32 = before


# ---------------------------------------------------------------- single convolutions


def conv_forms(k: int, c_in: int, c_out: int, size: int, device: torch.device,
               batch: int = 64) -> dict[str, Callable[[], torch.Tensor]]:
    """Each form of K stacked 3x3 convolutions as a call giving its output; the input
    needs a gradient where the network's does (not for the images)."""
    x = torch.randn(k, batch, c_in, size, size, device=device, requires_grad=c_in > 1)
    w = torch.randn(k, c_out, c_in, 3, 3, device=device, requires_grad=True)
    b = torch.randn(k, c_out, device=device, requires_grad=True)

    def grouped(layout: torch.memory_format) -> torch.Tensor:
        xg = x.transpose(0, 1).reshape(batch, k * c_in, size, size).contiguous(memory_format=layout)
        return F.conv2d(xg, w.reshape(k * c_out, c_in, 3, 3), b.reshape(-1), padding=1, groups=k)

    def unfolded() -> torch.Tensor:
        cols = F.unfold(x.reshape(k * batch, c_in, size, size), 3, padding=1)
        cols = cols.view(k, batch, c_in * 9, size * size).transpose(1, 2).reshape(k, c_in * 9, -1)
        return torch.baddbmm(b.unsqueeze(-1), w.reshape(k, c_out, c_in * 9), cols)

    return {
        "loop": lambda: torch.stack([F.conv2d(x[i], w[i], b[i], padding=1) for i in range(k)]),
        "grouped nchw": lambda: grouped(torch.contiguous_format),
        "grouped channels-last": lambda: grouped(torch.channels_last),
        "vmap": lambda: vmap(lambda xi, wi, bi: F.conv2d(xi, wi, bi, padding=1))(x, w, b),
        "unfold+bmm": unfolded,
    }


def kernels(ks: list[int], device: torch.device, warmup: int, repeats: int, steps: int) -> list[Record]:
    records = []
    for k in ks:
        for case, c_in, c_out, size in CONVS:
            for form, fn in conv_forms(k, c_in, c_out, size, device).items():
                for prec in PRECISIONS:
                    def call(fn: Callable[[], torch.Tensor] = fn, prec: str = prec) -> None:
                        with precision(prec, device):
                            out = fn()
                        out.float().sum().backward()
                    records.append({"table": "kernel", "case": case, "k": k, "form": form, "precision": prec,
                                    **timed(call, device, warmup, repeats, steps)})
    return records


# ---------------------------------------------------------------- whole training steps


def configs(k: int) -> list[dict[str, Any]]:
    """K members of the benchmark CNN with their own lr and weight decay."""
    return [{**CNN, "lr": 0.002 * (1 + i % 8), "weight_decay": 1e-5 * (1 + i % 5)} for i in range(k)]


def new_stack(k: int, splits: Splits, device: torch.device, layout: str, prec: str, benchmark: bool) -> Stack:
    cfgs = [{**c, "amp": prec == "bf16"} for c in configs(k)]
    stack = Stack(cfgs[0], splits, capacity=k, device=device, conv_layout="nchw" if layout == "nchw" else None,
                  cudnn_benchmark=benchmark)
    for i, cfg in enumerate(cfgs):
        stack.add(cfg, seed=i)
    return stack


def stack_step(stack: Stack, vmapped: bool) -> Callable[[], None]:
    """One training step of every member, as ``Stack._epoch`` runs it (without the first
    step's statistics); ``vmapped``: the forward and backward by ``vmap`` over the solo model."""
    k, n, bs = stack.capacity, stack.n_train, stack.bs
    orders = torch.stack([torch.randperm(n, generator=torch.Generator().manual_seed(i)) for i in range(k)])
    orders, mask = orders.to(stack.device), torch.ones(k, device=stack.device)
    with torch.random.fork_rng(devices=[]):
        template = build_model(stack.members[0].hp, stack.input_shape, stack.n_outputs)
    names = [name for name, _ in template.named_parameters()]
    solo = vmap(lambda params, x: functional_call(template, params, (x,)))
    count = [0]

    def vmap_forward_backward(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = idx.reshape(-1)
        xb = stack.x_train.index_select(0, rows).view(k, bs, *stack.x_train.shape[1:])
        out = solo({name: stack.net.params[name] for name in names}, xb)
        loss = stack.loss_fn(out, stack.y_train.index_select(0, rows).view(k, bs))
        stack.opt.zero_grad()
        (loss * mask).sum().backward()
        return loss, out

    def step() -> None:
        start = stack.starts[count[0] % (len(stack.starts) - 1)]  # full batches: one shape
        count[0] += 1
        idx = orders[:, start:start + bs]
        loss, out = vmap_forward_backward(idx) if vmapped else stack.forward_backward(idx, mask)
        stack.opt.clip_grad_norms()
        stack.opt.step()
        loss.detach(), out.detach().max(-1).indices

    return step


def solo_step(splits: Splits, device: torch.device) -> Callable[[], None]:
    """One step of ``fit`` on one member (its layout, optimizer and loss; no probe)."""
    hp = configs(1)[0]
    shape = model_input_shape(splits, None)
    torch.manual_seed(0)
    layout = {"memory_format": torch.channels_last} if channels_last("cnn", device, False) else {}
    model = build_model(hp, shape, count_outputs(splits)).to(device, **layout).train()
    opt = build_optimizer(model, hp)
    loss_fn = make_loss("cross_entropy", "classification", count_outputs(splits), 1.0)
    x, y = splits.x_train.to(device, **layout), splits.y_train.to(device)
    order = torch.randperm(len(y)).to(device)
    starts, count = batch_starts(len(y), hp["batch_size"], False)[:-1], [0]

    def step() -> None:
        idx = order[starts[count[0] % len(starts)]:][:hp["batch_size"]]
        count[0] += 1
        out = model(x[idx])
        loss = loss_fn(out, y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        decoupled_step(opt)
        opt.step()
        out.detach().argmax(-1)

    return step


def steps(ks: list[int], splits: Splits, device: torch.device, benchmark: bool, warmup: int, repeats: int,
          n: int) -> tuple[list[Record], dict[tuple[int, str, str], Callable[[], None]]]:
    """Every variant's step at each K (and the solo step); the steps of the largest K kept
    for the profile."""
    solo = timed(solo_step(splits, device), device, warmup, repeats, n)
    records: list[Record] = [{"table": "step", "k": 1, "variant": "solo fit", "precision": "tf32", **solo}]
    kept: dict[tuple[int, str, str], Callable[[], None]] = {}
    for k in ks:
        for layout, prec in VARIANTS:
            stack = new_stack(k, splits, device, layout, prec, benchmark)
            step = stack_step(stack, layout == "vmap")
            with stack.conv_settings(), precision("tf32" if prec == "bf16" else prec, device):
                record = {"table": "step", "k": k, "variant": layout, "precision": prec,
                          **timed(step, device, warmup, repeats, n)}
            print(f"  K={k:<4} {layout:14} {prec:5} benchmark {'on ' if benchmark else 'off'}"
                  f"  {record['ms']:8.2f} ms a step, first {record['first']:8.1f} ms", flush=True)
            records.append(record)
            if k == ks[-1]:
                kept[(k, layout, prec)] = lambda stack=stack, step=step, prec=prec: _in_settings(stack, step, prec)
            else:
                del stack, step
    return records, kept


def _in_settings(stack: Stack, step: Callable[[], None], prec: str) -> None:
    with stack.conv_settings(), precision("tf32" if prec == "bf16" else prec, stack.device):
        step()


# ---------------------------------------------------------------- profile, tables, summary


def profile(label: str, step: Callable[[], None], device: torch.device, n: int = 5, top: int = 8) -> None:
    """Device busy time of ``n`` steps against their wall time, and the costliest kernels
    (on the CPU: the ops' own CPU time)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    step()
    sync(device)
    with torch_profile(activities=activities) as prof:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        sync(device)
        wall = (time.perf_counter() - t0) * 1e6
    by_name: dict[str, float] = {}
    if device.type == "cuda":
        for event in prof.events():
            if event.device_type == DeviceType.CUDA:
                by_name[event.name] = by_name.get(event.name, 0.0) + event.time_range.elapsed_us()
    else:
        by_name = {event.key: event.self_cpu_time_total for event in prof.key_averages()}
    busy = sum(by_name.values())
    what = "GPU busy (kernels, copies)" if device.type == "cuda" else "CPU ops' own time"
    print(f"\nprofile of {label}: wall {wall / n / 1e3:.2f} ms a step, {what} {busy / n / 1e3:.2f} ms "
          f"({busy / wall:.0%} of the wall time)")
    for name, us in sorted(by_name.items(), key=lambda item: -item[1])[:top]:
        print(f"  {us / n / 1e3:8.3f} ms {us / max(busy, 1e-9):5.0%}  {name[:100]}")


def measure(ks: list[int], device: torch.device, benchmark: bool, train_size: int | None, warmup: int,
            repeats: int, n: int, with_profile: bool) -> list[Record]:
    """Every record of this process, cuDNN's benchmark mode set to ``benchmark`` throughout.
    The steps run before the lone kernels: a kernel of a step's shape would otherwise leave
    its choice of algorithm cached, and the step's first call would not show what it costs."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = benchmark
    try:
        splits = load_splits("mnist_5k", train_size=train_size)
        records, kept = steps(ks, splits, device, benchmark, warmup, repeats, n)
        records += kernels(ks, device, max(1, warmup // 2), repeats, max(1, n // 3))
        if with_profile:
            last = [r for r in records if r["table"] == "step" and r["k"] == ks[-1]]
            fastest = min((r for r in last if r["precision"] == "tf32"), key=lambda r: r["ms"])
            # Today's step (benchmark off, the first variant) too, where the time goes now.
            for r in [fastest] + ([last[0]] if last[0] is not fastest and not benchmark else []):
                label = f"K={ks[-1]} {r['variant']} {r['precision']}, cudnn.benchmark {'on' if benchmark else 'off'}"
                try:  # a profiler that cannot start on this machine costs the profile only
                    profile(label, kept[(ks[-1], r["variant"], r["precision"])], device)
                except Exception as error:  # noqa: BLE001
                    print(f"\nprofile of {label} failed: {error!r}")
    finally:
        torch.backends.cudnn.benchmark = before
    return [{**r, "benchmark": benchmark} for r in records]


def child_records(argv: list[str]) -> list[Record]:
    """The records of this script run in a fresh process with ``argv``; its other output is
    passed on. A child that fails is reported and gives none."""
    done = subprocess.run([sys.executable, os.path.abspath(__file__), *argv, "--records"], capture_output=True,
                          text=True, env=os.environ.copy())
    lines = done.stdout.rstrip("\n").splitlines()
    print("\n".join(lines[:-1]), flush=True)
    if done.returncode != 0 or not lines:
        print(f"the child process ({' '.join(argv)}) failed, exit {done.returncode}:\n{done.stderr[-3000:]}")
        return []
    return json.loads(lines[-1])


def fmt(record: Record | None) -> str:
    return "       -" if record is None else f"{record['ms']:8.2f}"


def print_tables(records: list[Record], ks: list[int]) -> None:
    modes = sorted({r["benchmark"] for r in records})
    names = {False: "off", True: "on"}
    find = {(r["table"], r["k"], r.get("case"), r.get("form") or r.get("variant"), r["precision"], r["benchmark"]): r
            for r in records}
    for k in ks:
        for case, *_ in CONVS:
            print(f"\nK={k} {case}, batch 64: ms per forward+backward")
            print(f"{'':24}" + " | ".join(f"{'cudnn.benchmark ' + names[m]:^26}" for m in modes))
            print(f"{'form':24}" + " | ".join(" ".join(f"{p:>8}" for p in PRECISIONS) for _ in modes))
            for form in FORMS:
                cells = [" ".join(fmt(find.get(("kernel", k, case, form, p, m))) for p in PRECISIONS)
                         for m in modes]
                print(f"{form:24}" + " | ".join(cells))
    solo = {m: find.get(("step", 1, None, "solo fit", "tf32", m)) for m in modes}
    print("\nsolo fit step (one member, NCHW as fit on cuda): "
          + ", ".join(f"{r['ms']:.2f} ms with cudnn.benchmark {names[m]}" for m, r in solo.items() if r))
    for k in ks:
        rows = [r for r in records if r["table"] == "step" and r["k"] == k]
        today = find.get(("step", k, None, *TODAY, False))
        best = min(rows, key=lambda r: r["ms"]) if rows else None
        print(f"\nK={k} stacked CNN training step, ms (today: {TODAY[0]}, {TODAY[1]}, cudnn.benchmark off; "
              "first: the first step, cuDNN's choice of algorithms included)")
        print(f"{'convolutions':15}{'precision':>10}{'benchmark':>10}{'step ms':>10}{'first ms':>10}"
              f"{'vs today':>10}{'x solo':>8}")
        for r in rows:
            ratio = f"{today['ms'] / r['ms']:9.2f}x" if today else f"{'-':>10}"
            base = solo.get(False) or solo.get(r["benchmark"])
            speedup = f"{k * base['ms'] / r['ms']:7.1f}x" if base else f"{'-':>8}"
            print(f"{r['variant']:15}{r['precision']:>10}{names[r['benchmark']]:>10}{r['ms']:10.2f}{r['first']:10.1f}"
                  f"{ratio}{speedup}" + ("   <- fastest" if r is best else ""))


def summary(records: list[Record], ks: list[int], device: torch.device) -> dict[str, Any]:
    """For each K: today's step, the fastest and the fastest at today's precision, in ms,
    with their speedups over K solo ``fit`` steps (cudnn.benchmark off, as fit runs)."""
    def brief(r: Record) -> dict[str, Any]:
        return {"convolutions": r["variant"], "precision": r["precision"], "cudnn_benchmark": r["benchmark"],
                "ms": round(r["ms"], 3), "first_ms": round(r["first"], 1)}

    solo = next((r for r in records if r["table"] == "step" and r["k"] == 1 and not r["benchmark"]), None)
    out: dict[str, Any] = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                           "torch": torch.__version__, "solo_ms": round(solo["ms"], 3) if solo else None}
    for k in ks:
        rows = [r for r in records if r["table"] == "step" and r["k"] == k]
        if not rows:
            continue
        today = next((r for r in rows if (r["variant"], r["precision"]) == TODAY and not r["benchmark"]), rows[0])
        best = min(rows, key=lambda r: r["ms"])
        best_tf32 = min((r for r in rows if r["precision"] == "tf32"), key=lambda r: r["ms"])
        entry = {"today": brief(today), "fastest": brief(best), "fastest_tf32": brief(best_tf32),
                 "gain": round(today["ms"] / best["ms"], 2), "gain_tf32": round(today["ms"] / best_tf32["ms"], 2)}
        if solo:
            entry |= {"speedup_today": round(k * solo["ms"] / today["ms"], 1),
                      "speedup_fastest": round(k * solo["ms"] / best["ms"], 1),
                      "speedup_fastest_tf32": round(k * solo["ms"] / best_tf32["ms"], 1)}
        out[str(k)] = entry
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda, or cpu to try the script without a GPU")
    parser.add_argument("--k", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--train-size", type=int, default=None, help="train on fewer mnist_5k images")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps after the first")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks (the median is printed)")
    parser.add_argument("--steps", type=int, default=10, help="steps a block (a third of them for the kernels)")
    parser.add_argument("--cudnn-benchmark", choices=("both", "off", "on"), default="both",
                        help="both: off here, then on in a child process")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile of the fastest step")
    parser.add_argument("--records", action="store_true", help=argparse.SUPPRESS)  # a child's: JSON records last
    args = parser.parse_args(argv)
    if min(args.k) < 1 or min(args.warmup + 1, args.repeats, args.steps) < 1:
        parser.error("--k, --repeats and --steps: integers >= 1, --warmup >= 0")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no GPU (torch.cuda.is_available() is False)")
    if device.type == "cpu":  # a trial run: one thread, as the stacked trainer's shards run
        torch.set_num_threads(1)
    common = ["--device", args.device, "--k", *map(str, args.k), "--warmup", str(args.warmup),
              "--repeats", str(args.repeats), "--steps", str(args.steps)]
    common += ["--train-size", str(args.train_size)] if args.train_size else []
    common += ["--no-profile"] if args.no_profile else []
    t0 = time.perf_counter()
    records: list[Record] = []
    for mode in (("off", "on") if args.cudnn_benchmark == "both" else (args.cudnn_benchmark,)):
        print(f"cudnn.benchmark {mode}:", flush=True)
        if mode == "on" and args.cudnn_benchmark == "both":
            records += child_records(common + ["--cudnn-benchmark", "on"])
        else:
            records += measure(args.k, device, mode == "on", args.train_size, args.warmup, args.repeats, args.steps,
                               not args.no_profile)
    if args.records:
        print(json.dumps(records))
        return {}
    print_tables(records, args.k)
    out = summary(records, args.k, device)
    print(f"\n{time.perf_counter() - t0:.0f} s in all")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
