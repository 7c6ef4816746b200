"""Which form of the stacked CNN's training step is fastest on a GPU, and by how much?

The benchmark CNN of ``stacked.py`` (2 conv blocks of 8 and 16 filters, 64 units, batch 64,
mnist_5k, SGD with momentum, each member its own lr and weight decay), K members stacked:

* kernels: each of its two convolutions (1->8 at 28x28, 8->16 at 14x14) for K members,
  forward and backward, as a loop of K convolutions, one grouped convolution (``groups=K``)
  in NCHW ("grouped") and in channels-last, ``torch.func.vmap`` and unfolded patches in one
  batched matmul (``stack_kernels.conv_forms``); each in float32 with TF32 (cuDNN's default), in strict float32 (TF32 off) and
  under bf16 autocast;
* steps: the whole training step (batch gather, forward, loss, backward, the fused
  optimizer step) through :class:`~nntune.train.stack.Stack` itself, its convolutions in
  NCHW (the trainer's default on CUDA) or channels-last, in the same three precisions (bf16: the
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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
from torch.func import functional_call, vmap

from nntune.train.basics import batch_starts, count_outputs, make_loss, model_input_shape
from nntune.train.data import load_splits
from nntune.train.loop import channels_last
from nntune.train.models import build_model
from nntune.train.optim import build_optimizer, decoupled_step
from nntune.train.splits import Splits
from nntune.train.stack import Stack
from stack_kernels import conv_forms, device_profile  # a sibling script: its folder is on sys.path

CNN = {"model": "cnn", "conv_layers": 2, "filters": 8, "units": 64, "batch_size": 64, "epochs": 2,
       "optimizer": "momentum", "momentum": 0.9}
CONVS = (("conv 1->8 3x3 28x28", 1, 8, 28), ("conv 8->16 3x3 14x14", 8, 16, 14))
FORMS = ("loop", "grouped", "grouped channels-last", "vmap", "unfold+baddbmm")  # stack_kernels.conv_forms's
PRECISIONS = ("tf32", "fp32", "bf16")
# Whole-step variants: (the convolutions' form, precision); the first is the trainer's today.
VARIANTS = (("nchw", "tf32"), ("channels-last", "tf32"), ("nchw", "fp32"), ("channels-last", "fp32"),
            ("nchw", "bf16"), ("channels-last", "bf16"), ("vmap", "tf32"))
TODAY = VARIANTS[0]
STACK_LAYOUTS = {"channels-last": "channels_last", "nchw": "nchw"}  # a variant's name: Stack's conv_layout
RECORD = "record: "  # a child process's lines that carry one measurement, as JSON
Record = dict[str, Any]


class Records(list[Record]):
    """The measurements so far; in a child process each is also printed as it is taken,
    so that its parent keeps what was measured if the child is stopped."""

    def __init__(self, benchmark: bool, echo: bool) -> None:
        super().__init__()
        self.benchmark, self.echo = benchmark, echo

    def add(self, label: str, fn: Callable[[], Any], device: torch.device, timing: tuple[int, int, int],
            **fields: Any) -> Record | None:
        """Time ``fn`` (:func:`timed`); a variant that fails (a kernel cuDNN cannot run,
        memory) is reported and left out, and the others go on."""
        try:
            record = {**fields, "benchmark": self.benchmark, **timed(fn, device, *timing)}
        except Exception as error:  # noqa: BLE001
            print(f"  {label}: failed, {error!r}"[:400], flush=True)
            return None
        self.append(record)
        if self.echo:
            print(RECORD + json.dumps(record), flush=True)
        return record


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


def kernels(records: Records, ks: list[int], device: torch.device, timing: tuple[int, int, int]) -> None:
    for k in ks:
        for case, c_in, c_out, size in CONVS:
            for form, fn in conv_forms(k, 64, c_in, c_out, size, device, input_grad=c_in > 1).items():
                for prec in PRECISIONS:
                    def call(fn: Callable[[], torch.Tensor] = fn, prec: str = prec) -> None:
                        with precision(prec, device):
                            out = fn()
                        out.float().sum().backward()
                    records.add(f"K={k} {case} {form} {prec}", call, device, timing, table="kernel", case=case, k=k,
                                form=form, precision=prec)


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
    full, count = [s for s in stack.starts if s + bs <= n] or stack.starts[:1], [0]  # full batches: one shape

    def vmap_forward_backward(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = idx.reshape(-1)
        xb = stack.x_train.index_select(0, rows).view(k, bs, *stack.x_train.shape[1:])
        out = solo({name: stack.net.params[name] for name in names}, xb)
        loss = stack.loss_fn(out, stack.y_train.index_select(0, rows).view(k, bs))
        stack.opt.zero_grad()
        (loss * mask).sum().backward()
        return loss, out

    def step() -> None:
        start = full[count[0] % len(full)]
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
    bs, count = hp["batch_size"], [0]
    starts = [s for s in batch_starts(len(y), bs, False) if s + bs <= len(y)] or [0]

    def step() -> None:
        idx = order[starts[count[0] % len(starts)]:][:bs]
        count[0] += 1
        out = model(x[idx])
        loss = loss_fn(out, y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        decoupled_step(opt)
        opt.step()
        out.detach().argmax(-1)

    return step


def steps(records: Records, ks: list[int], splits: Splits, device: torch.device,
          timing: tuple[int, int, int]) -> dict[tuple[str, str], Callable[[], None]]:
    """Every variant's step at each K, and the solo step; returns the steps of the largest
    K, each in its settings, for the profile."""
    records.add("solo fit", solo_step(splits, device), device, timing, table="step", k=1, variant="solo fit",
                precision="tf32")
    kept: dict[tuple[str, str], Callable[[], None]] = {}
    for k in ks:
        for layout, prec in VARIANTS:
            label = f"K={k:<4} {layout:14} {prec:5} benchmark {'on ' if records.benchmark else 'off'}"
            try:
                stack = new_stack(k, splits, device, layout, prec, records.benchmark)
                step = stack_step(stack, layout == "vmap")
            except Exception as error:  # noqa: BLE001
                print(f"  {label}: failed, {error!r}"[:400], flush=True)
                continue

            def in_settings(stack: Stack = stack, step: Callable[[], None] = step, prec: str = prec) -> None:
                with stack.conv_settings(), precision("tf32" if prec == "bf16" else prec, device):
                    step()

            record = records.add(label, in_settings, device, timing, table="step", k=k, variant=layout,
                                 precision=prec)
            if record is not None:
                print(f"  {label}  {record['ms']:8.2f} ms a step, first {record['first']:8.1f} ms", flush=True)
                if k == ks[-1]:
                    kept[(layout, prec)] = in_settings
    return kept


# ---------------------------------------------------------------- profile, tables, summary


def measure(ks: list[int], device: torch.device, benchmark: bool, train_size: int | None, warmup: int,
            repeats: int, n: int, with_profile: bool, echo: bool = False) -> list[Record]:
    """Every record of this process, cuDNN's benchmark mode set to ``benchmark`` throughout:
    the steps, their profile, then the lone kernels. Steps first: a kernel of a step's shape
    would otherwise leave its choice of algorithm cached, and the step's first call would not
    show what that choice costs."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = benchmark
    try:
        splits = load_splits("mnist_5k", train_size=train_size)
        records = Records(benchmark, echo)
        kept = steps(records, ks, splits, device, (warmup, repeats, n))
        last = [r for r in records if r["table"] == "step" and r["k"] == ks[-1] and r["precision"] == "tf32"]
        if with_profile and last:
            fastest = min(last, key=lambda r: r["ms"])
            # Today's step (benchmark off, the first variant) too: where the time goes now.
            today = [r for r in last if (r["variant"], r["precision"]) == TODAY and not benchmark]
            for r in [fastest] + [r for r in today if r is not fastest]:
                label = f"K={ks[-1]} {r['variant']} {r['precision']}, cudnn.benchmark {'on' if benchmark else 'off'}"
                try:  # a profiler that cannot start on this machine costs the profile only
                    device_profile(label, kept[(r["variant"], r["precision"])], device)
                except Exception as error:  # noqa: BLE001
                    print(f"\nprofile of {label} failed: {error!r}")
        kernels(records, ks, device, (max(1, warmup // 2), repeats, max(1, n // 3)))  # last: the least needed
    finally:
        torch.backends.cudnn.benchmark = before
    return list(records)


def child_records(argv: list[str], timeout: float | None) -> list[Record]:
    """The records of this script run in a fresh process with ``argv``, taken as it prints
    them; its other output is passed on as it comes. A child still running after
    ``timeout`` seconds is stopped, and what it measured until then is kept."""
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), *argv, "--records"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    timer = threading.Timer(timeout, child.kill) if timeout is not None else None
    if timer is not None:
        timer.start()
    records = []
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(RECORD):
            records.append(json.loads(line[len(RECORD):]))
        elif not line.startswith(("USDT:", "ERROR:")):  # the profiler's own log lines
            print(line, end="", flush=True)
    code = child.wait()
    if timer is not None:
        timer.cancel()
    if code != 0:
        print(f"the child process ({' '.join(argv)}) ended with exit {code}"
              + (f" (stopped after {timeout:.0f} s)" if code == -9 else "") + f"; {len(records)} records kept")
    return records


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
        # The fastest form the trainer itself can be set to (vmap is not one), per precision:
        # Stack's conv_layout and cudnn_benchmark, what stacked.py's flags take. Benchmark mode
        # only where its step is 10% faster: its search (1.3-2.9 s on an H200) comes again with
        # every new shape, and cost a whole 2-epoch fit of 128 CNNs more than it gained.
        for prec in ("tf32", "bf16"):
            own = [r for r in rows if r["precision"] == prec and r["variant"] in STACK_LAYOUTS]
            plain = [r for r in own if not r["benchmark"]]
            if plain and min(r["ms"] for r in plain) <= 1.1 * min(r["ms"] for r in own):
                own = plain
            if own:
                r = min(own, key=lambda r: r["ms"])
                entry[f"stack_{prec}"] = {"conv_layout": STACK_LAYOUTS[r["variant"]],
                                          "cudnn_benchmark": r["benchmark"], "ms": round(r["ms"], 3)}
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
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds: the child process is stopped then, keeping what it measured")
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
        if mode == "on" and args.cudnn_benchmark == "both":  # the child prints its own heading
            left = None if args.deadline is None else max(5.0, args.deadline - (time.perf_counter() - t0))
            records += child_records(common + ["--cudnn-benchmark", "on"], left)
        else:
            print(f"cudnn.benchmark {mode}:", flush=True)
            records += measure(args.k, device, mode == "on", args.train_size, args.warmup, args.repeats, args.steps,
                               not args.no_profile, echo=args.records)
    if args.records:
        return {}
    print_tables(records, args.k)
    out = summary(records, args.k, device)
    print(f"\n{time.perf_counter() - t0:.0f} s in all")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
