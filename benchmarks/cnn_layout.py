"""Which memory layout trains the solo CNN fastest on the CPU: the default (NCHW) or channels-last?

Times training steps (forward, backward, SGD step) of nntune's own image models built by
``build_model``, batch 64, on 1 and 2 threads, in both layouts, alternated; prints the median
ms per step and the ratio. The case for channels-last on the CPU is max pooling: ATen's
NCHW max pooling kernel runs 6-14x slower than its channels-last one on these sizes, and on
the small benchmark CNN it was a third of a solo step.

    python benchmarks/cnn_layout.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from nntune.train.models import build_model

CASES = {
    "cnn 8-16, max pool (mnist 28x28)": ({"model": "cnn", "conv_layers": 2, "filters": 8, "units": 64}, (1, 28, 28)),
    "cnn 32-64, max pool, batch norm (28x28)": (
        {"model": "cnn", "conv_layers": 2, "filters": 32, "units": 128, "batchnorm": True}, (1, 28, 28)),
    "cnn 16-32-64, avg pool (3x32x32)": (
        {"model": "cnn", "conv_layers": 3, "filters": 16, "units": 128, "pool": "avg"}, (3, 32, 32)),
    "resnet18 (3x32x32)": ({"model": "resnet18"}, (3, 32, 32)),
}


def per_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps * 1e3


def compare(build: Callable[[], torch.nn.Module], shape: tuple[int, ...], repeats: int) -> dict[str, float]:
    torch.manual_seed(0)
    x, y = torch.randn(64, *shape), torch.randint(0, 10, (64,))
    nchw = build()
    last = copy.deepcopy(nchw).to(memory_format=torch.channels_last)
    x_last = x.contiguous(memory_format=torch.channels_last)
    probe = per_step(nchw, x, y, 2)
    steps = max(5, int(400 / max(probe, 1.0)))  # about 0.4 s a timing
    times: dict[str, list[float]] = {"nchw": [], "channels_last": []}
    for _ in range(repeats):
        times["nchw"].append(per_step(nchw, x, y, steps))
        times["channels_last"].append(per_step(last, x_last, y, steps))
    return {name: statistics.median(v) for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"{'model':42}{'threads':>8}{'NCHW ms':>10}{'last ms':>10}{'ratio':>8}")
    for name, (params, shape) in CASES.items():
        for threads in args.threads:
            torch.set_num_threads(threads)
            ms = compare(lambda: build_model(params, shape, 10), shape, args.repeats)
            print(f"{name:42}{threads:8d}{ms['nchw']:10.2f}{ms['channels_last']:10.2f}"
                  f"{ms['nchw'] / ms['channels_last']:7.2f}x", flush=True)


if __name__ == "__main__":
    main()
