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

    python benchmarks/stack_kernels.py [--k 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

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
    x = torch.randn(k, batch, c_in, size, size)
    w = torch.randn(k, c_out, c_in, 3, 3, requires_grad=True)
    b = torch.randn(k, c_out, requires_grad=True)
    xg = x.transpose(0, 1).reshape(batch, k * c_in, size, size)
    xg_last = xg.contiguous(memory_format=torch.channels_last)

    def grouped(inputs: torch.Tensor) -> torch.Tensor:
        return F.conv2d(inputs, w.reshape(k * c_out, c_in, 3, 3), b.reshape(-1), padding=1, groups=k)

    def im2col() -> torch.Tensor:  # the patches of every member as one batched matmul
        cols = F.unfold(x.reshape(k * batch, c_in, size, size), 3, padding=1)
        cols = cols.view(k, batch, c_in * 9, size * size).transpose(1, 2).reshape(k, c_in * 9, -1)
        return torch.baddbmm(b.unsqueeze(-1), w.reshape(k, c_out, c_in * 9), cols)

    return {
        "loop": timed(lambda: torch.stack([F.conv2d(x[i], w[i], b[i], padding=1) for i in range(k)])),
        "grouped": timed(lambda: grouped(xg)),
        "grouped channels-last": timed(lambda: grouped(xg_last)),
        "vmap": timed(lambda: vmap(lambda xi, wi, bi: F.conv2d(xi, wi, bi, padding=1))(x, w, b)),
        "unfold+baddbmm": timed(im2col),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cases = (("dense 128->128, batch 64", dense(args.k)),
             ("conv 1->8 3x3 28x28, batch 64", conv(args.k, c_in=1, c_out=8, size=28)),
             ("conv 8->16 3x3 14x14, batch 64", conv(args.k, c_in=8, c_out=16)),
             ("conv 16->32 3x3 14x14, batch 64", conv(args.k)))
    for name, result in cases:
        loop = result["loop"]
        cells = "  ".join(f"{kind} {ms:7.2f} ms ({loop / ms:4.1f}x)" for kind, ms in result.items())
        print(f"K={args.k} {name}: {cells}")


if __name__ == "__main__":
    main()
