"""Which batched kernel trains K small models fastest on this machine?

Times one forward+backward pass of K stacked layers three ways: dense layers as a loop
of K matmuls, one ``torch.baddbmm`` and ``torch.func.vmap``; 3x3 convolutions as a loop
of K convolutions, one grouped convolution (``groups=K``) and ``vmap`` over
``torch.func.functional_call``. Prints milliseconds per pass and ratios to the loop.

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

    def grouped() -> torch.Tensor:
        xg = x.transpose(0, 1).reshape(batch, k * c_in, size, size)
        return F.conv2d(xg, w.reshape(k * c_out, c_in, 3, 3), b.reshape(-1), padding=1, groups=k)

    return {
        "loop": timed(lambda: torch.stack([F.conv2d(x[i], w[i], b[i], padding=1) for i in range(k)])),
        "grouped": timed(grouped),
        "vmap": timed(lambda: vmap(lambda xi, wi, bi: F.conv2d(xi, wi, bi, padding=1))(x, w, b)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name, result in (("dense 128->128, batch 64", dense(args.k)), ("conv 16->32 3x3 14x14, batch 64", conv(args.k))):
        loop = result["loop"]
        cells = "  ".join(f"{kind} {ms:7.2f} ms ({loop / ms:4.1f}x)" for kind, ms in result.items())
        print(f"K={args.k} {name}: {cells}")


if __name__ == "__main__":
    main()
