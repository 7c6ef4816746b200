"""Many models of one structure trained as one: every weight gets a leading member axis.

A :class:`StackedNet` is built from one solo model of :mod:`nntune.train.models` (the
template) and runs the same layers in the same order for K members at once:

* dense layers are one batched matmul, ``torch.bmm`` and an in-place bias add, over
  [K, batch, features], with the ReLU that follows in the same autograd step;
* convolutions are one grouped convolution (``groups=K``) over [batch, K*channels, H, W]
  (measured against ``torch.func.vmap``: ``benchmarks/stack_kernels.py``), kept channels-last:
  with K*channels side by side, pooling and convolution run several times faster on the CPU
  in that layout than in the default one (the layout is a parameter, ``conv_layout``, so
  that ``benchmarks/stack_kernels_cuda.py`` can compare both on a GPU);
* batch norm treats the K*units channels as one layer, which is exactly K layers with their
  own statistics; activations and pooling act on each channel alone;
* dropout draws its mask per element with each member's own rate.

Members are filled from solo models (``load_member``), so member k starts from exactly the
weights ``fit`` would build, and ``member_state`` gives back a solo state dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nntune.exceptions import ConfigError
from nntune.train.stack_chunks import SLICE_BYTES, largest_activation, per_image_prefix, slice_rows
from nntune.train.pool_first import relu_after_max_pool
from nntune.train.stack_key import frozen, structure_key  # noqa: F401 - the structure key's first home
from nntune.train.stats import Moments, find_layers

CONV_LAYOUTS = {"channels_last": torch.channels_last, "nchw": torch.contiguous_format}
# The layout of a stack's convolutions by device type when none is asked for, each measured
# (benchmarks/stack_kernels.py). CPU: channels-last, pooling and the grouped convolution
# several times faster than in NCHW. CUDA: NCHW; on an H200 (torch 2.11, TF32) the stacked
# CNN's step at K = 128 took 4.0 ms in NCHW against 6.4 ms channels-last (2.8 and 3.0 ms at
# K = 32), and fit_stack of 128 CNNs for 2 epochs 1.45 s against 1.81 s: cuDNN's NHWC
# kernels are built for tensor cores, and a group of 1-16 channels leaves them little to fill.
DEFAULT_CONV_LAYOUT = {"cpu": "channels_last", "cuda": "nchw"}
# cuDNN's benchmark mode for a stack's convolutions by device type when none is asked for
# (None: the process's own setting, torch's default off); see cudnn_benchmark below.
DEFAULT_CUDNN_BENCHMARK: dict[str, bool | None] = {"cuda": None}


def default_conv_layout(device: torch.device) -> str:
    """:data:`DEFAULT_CONV_LAYOUT` of ``device`` (channels-last for other devices)."""
    return DEFAULT_CONV_LAYOUT.get(device.type, "channels_last")


def default_cudnn_benchmark(device: torch.device) -> bool | None:
    """:data:`DEFAULT_CUDNN_BENCHMARK` of ``device`` (None: left as it is)."""
    return DEFAULT_CUDNN_BENCHMARK.get(device.type)


def check_conv_layout(layout: str | None, device: torch.device) -> str:
    """``layout`` (None: :func:`default_conv_layout`), or a ConfigError naming it."""
    chosen = default_conv_layout(device) if layout is None else layout
    if chosen not in CONV_LAYOUTS:
        raise ConfigError("conv_layout", f"one of {', '.join(CONV_LAYOUTS)}, got {layout!r}")
    return chosen


@contextmanager
def cudnn_benchmark(enabled: bool | None, device: torch.device) -> Iterator[None]:
    """``torch.backends.cudnn.benchmark`` set to ``enabled`` while the block runs on a CUDA
    ``device``, and the caller's setting put back afterwards (None, or another device:
    left as it is). cuDNN caches the algorithm it picked per convolution shape, thread and
    process, whichever way it picked it, so the flag decides only for shapes not seen yet.

    A stack's default is :data:`DEFAULT_CUDNN_BENCHMARK` of its device: None, torch's own
    default then (off: cuDNN's heuristics). Measured on an H200 (stack_kernels_cuda.py): in
    NCHW at K = 128 the step took 4.03 ms with it against 4.02 without, and its first step
    1.4 s against 8 ms; at K = 32 it gained 0.6 ms a step for a 1.3 s first step. The search
    runs once per shape (forward and both backward passes of each convolution, the last
    short batch, validation's chunks), and a stack's shapes change whenever its capacity
    does: a stack of CNNs in mixed precision with it on took 3.5 s for 2 epochs of 128
    members, where in TF32 without it they took 1.3 s."""
    if enabled is None or device.type != "cuda":
        yield
        return
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


def stacked_product(a: Tensor, b: Tensor) -> Tensor:
    """``torch.bmm(a, b)`` [K, m, n]; on the CPU, where ``n`` is not a multiple of 16 (the
    floats of one AVX-512 register) and ``m`` is, or ``n`` is below 16 and ``m`` is not, as
    the transpose of ``b^T a^T``: the same dot products, in the layout the CPU's batched
    product runs well. Measured on one thread of a Zen 4 core, K = 16: a digits output
    layer (batch 64, 128 units, 10 classes) 184 us as asked against 50 us transposed, 87
    units out 345 against 271 us; the other way round (``n`` a multiple of 16, ``m`` not)
    the transposed product was up to 10x slower, so it is kept for the cases above."""
    m, n = a.shape[1], b.shape[2]
    if a.device.type == "cpu" and n % 16 and m >= 16 and (n < 16 or m % 16 == 0):
        return torch.bmm(b.transpose(1, 2), a.transpose(1, 2)).transpose(1, 2)
    return torch.bmm(a, b)


class StackedLinear(torch.autograd.Function):
    """``bmm(x, w^T) + b``, then a ReLU when ``relu``, whose weight gradient comes out in the
    weight's own layout: autograd's would be the transpose of a contiguous product, which
    every step would copy once more into the weight's layout before the optimizer reads it.
    The bias is added in place after a plain product (``baddbmm`` with a broadcast bias
    copies the bias into its output first and then runs the slower beta=1 product), and the
    ReLU is applied in place and undone in this backward, one autograd node less per layer."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor, relu: bool = False) -> Tensor:  # type: ignore[override]
        out = stacked_product(x, w.transpose(1, 2)).add_(b.unsqueeze(1))
        if relu:
            out.relu_()
            ctx.save_for_backward(x, w, out)
        else:
            ctx.save_for_backward(x, w)
        ctx.relu = relu
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if ctx.relu:
            x, w, out = ctx.saved_tensors
            grad = torch.ops.aten.threshold_backward(grad, out, 0)  # ReLU's own backward
        else:
            x, w = ctx.saved_tensors
        grad_x = stacked_product(grad, w) if ctx.needs_input_grad[0] else None
        grad_w = torch.bmm(grad.transpose(1, 2), x) if ctx.needs_input_grad[1] else None
        grad_b = grad.sum(1) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b, None


def stacked_linear(x: Tensor, w: Tensor, b: Tensor, relu: bool = False) -> Tensor:
    """[K, batch, in] -> [K, batch, out], through a ReLU when ``relu``; under autocast (its
    casts are autograd's own) the plain product."""
    if torch.is_autocast_enabled(x.device.type) or not (x.dtype == w.dtype == b.dtype):
        out = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
        return F.relu(out) if relu else out
    return StackedLinear.apply(x, w, b, relu)


def uneven_same_padding(conv: nn.Conv2d) -> list[int] | None:
    """The zero pad (left, right, top, bottom) of a ``padding="same"`` convolution whose
    kernel needs one pixel more on one side (an even kernel), as torch pads it (the extra
    one right and bottom); ``None`` for any other padding, which ``conv2d`` takes as it is
    (torch warns, once per process, when it pads unevenly itself)."""
    if conv.padding != "same":
        return None
    pad = list(conv._reversed_padding_repeated_twice)
    return pad if pad[0::2] != pad[1::2] else None


class StackedNet:
    """K members of one template network; slot k of every tensor is member k."""

    def __init__(self, template: nn.Sequential, capacity: int, device: torch.device,
                 conv_layout: str = "channels_last") -> None:
        self.ops = list(template.named_children())
        self.device = device
        self.memory_format = CONV_LAYOUTS[conv_layout]  # of the convolutions' activations [batch, K*C, H, W]
        self.capacity = capacity
        self.image = any(isinstance(m, nn.Conv2d) for _, m in self.ops)
        self.params = {n: torch.zeros(capacity, *p.shape, device=device, requires_grad=True)
                       for n, p in template.named_parameters()}
        self.buffers = {n: torch.zeros(capacity, *b.shape, dtype=b.dtype, device=device)
                        for n, b in template.named_buffers()}
        self.dropout = torch.zeros(capacity, device=device)
        self.rates = [0.0] * capacity  # the same rates on the host: read there, never from the device
        self.any_dropout = False
        layers = find_layers(template)
        self.layer_names = [layer.name for layer in layers]
        names = {id(m): n for n, m in template.named_modules()}
        self.activation_of = {names[id(layer.activation)]: layer.name for layer in layers if layer.activation is not None}
        self.fast_ops = relu_after_max_pool(self.ops)
        # Outside the probed passes a dense layer and the ReLU right after it run as one step.
        self.fused_relu = {name for (name, m), (_, after) in zip(self.fast_ops, self.fast_ops[1:])
                           if isinstance(m, nn.Linear) and isinstance(after, nn.ReLU)}
        # Decay applies where the solo tensor has two or more dimensions (weights, kernels).
        self.decay = {n: p.dim() >= 2 for n, p in template.named_parameters()}
        self.per_image = per_image_prefix(self.fast_ops)  # the first layers forward may slice (stack_chunks)
        self._per_image_numbers: dict[tuple[int, ...], int] = {}  # their largest activation by image shape
        self.slice_bytes = SLICE_BYTES  # the most a slice's largest activation may hold

    # ------------------------------------------------------------ members

    def load_member(self, slot: int, state: Mapping[str, Tensor], dropout: float) -> None:
        with torch.no_grad():  # from the host, the copies need not wait for the kernels queued before them
            for name, tensor in {**self.params, **self.buffers}.items():
                tensor[slot].copy_(state[name], non_blocking=True)
        self.set_dropout(slot, dropout)

    def set_dropout(self, slot: int, rate: float) -> None:
        self.dropout[slot] = rate
        self.rates[slot] = float(rate)
        self.any_dropout = any(r > 0 for r in self.rates)

    def clear_member(self, slot: int) -> None:
        """Zero the slot: a free slot computes zeros and never produces a NaN."""
        self.load_member(slot, {n: torch.zeros_like(t[slot]) for n, t in {**self.params, **self.buffers}.items()}, 0.0)

    def member_state(self, slot: int) -> dict[str, Tensor]:
        """Member ``slot`` as the state dict of its solo model (detached copies)."""
        return {n: t[slot].detach().clone() for n, t in {**self.params, **self.buffers}.items()}

    def copy_member(self, src: int, dst: int) -> None:
        self.load_member(dst, self.member_state(src), self.rates[src])

    def reindex(self, index: Tensor) -> None:
        """Keep the slots listed in ``index`` (in that order); an entry of -1 is a fresh, empty slot."""
        keep = index.clamp(min=0).to(self.device)
        fresh = (index < 0).to(self.device)

        def take(t: Tensor) -> Tensor:
            out = t.detach()[keep].clone()
            out[fresh] = 0
            return out

        self.params = {n: take(t).requires_grad_(True) for n, t in self.params.items()}
        self.buffers = {n: take(t) for n, t in self.buffers.items()}
        self.dropout = take(self.dropout)
        self.rates = [self.rates[i] if i >= 0 else 0.0 for i in index.tolist()]
        self.capacity = len(index)
        self.any_dropout = any(r > 0 for r in self.rates)

    def parameters(self) -> list[Tensor]:
        return list(self.params.values())

    # ------------------------------------------------------------ data

    def gather(self, x: Tensor, idx: Tensor, augment: Callable[[Tensor], Tensor] | None = None) -> Tensor:
        """Each member's own batch: rows ``idx[k]`` of ``x`` for member k, laid out for :meth:`forward`."""
        k, b = idx.shape
        # index_select of the flat rows: a quarter of advanced indexing's time for these sizes
        if not self.image:
            xb = x.index_select(0, idx.reshape(-1))
            return xb.view(k, b, -1) if augment is None else augment(xb).reshape(k, b, -1)
        # [batch, K, C, H, W]: grouped convolution wants the members in the channels
        xb = x.index_select(0, idx.t().reshape(-1)).view(b, k, *x.shape[1:])
        if augment is not None:  # a crop with a size gives images of another size than it took
            out = augment(xb.reshape(b * k, *xb.shape[2:]))
            xb = out.reshape(b, k, *out.shape[1:])
        # ``to`` restrides a one-member stack of one-channel images, which ``contiguous`` would
        # leave in NCHW (see :meth:`forward`); any other batch it lays out as ``contiguous`` would.
        return xb.reshape(b, k * xb.shape[2], *xb.shape[3:]).to(memory_format=self.memory_format)

    # ------------------------------------------------------------ forward

    def forward(self, x: Tensor, *, train: bool, shared: bool = False, probe: dict[str, list[Tensor]] | None = None,
                generator: torch.Generator | None = None) -> Tensor:
        """Outputs [K, batch, n_outputs]. ``x`` comes from :meth:`gather`, or with ``shared``
        it is one plain batch [batch, *input_shape] that every member sees (validation)."""
        if shared and self.image:  # the first convolution runs ungrouped on the shared input
            # ``to``, not ``contiguous``: a one-channel batch counts as contiguous in both
            # layouts, so ``contiguous`` keeps its NCHW strides and the convolution answers in
            # NCHW; every layer after it then ran in the slow layout (a CPU max pooling of
            # 64 x 256 x 28 x 28 took 79 ms in NCHW, 10 ms channels-last). ``to`` restrides it.
            x = x.to(memory_format=self.memory_format)
        elif shared:
            x = x.reshape(len(x), -1)
        ops = self.ops if probe is not None else self.fast_ops
        rows = self._slice_rows(x, shared) if probe is None else len(x)
        if rows < len(x):  # see stack_chunks: the first layers a few images at a time, in cache
            head, ops = ops[:self.per_image], ops[self.per_image:]
            x = torch.cat([self._layers(head, part, train, shared, None, generator) for part in x.split(rows)])
            shared = False
        return self._layers(ops, x, train, shared, probe, generator)

    def _slice_rows(self, x: Tensor, shared: bool) -> int:
        """Images per slice of :meth:`forward`'s first layers (``len(x)``: not sliced)."""
        if not self.per_image or x.device.type != "cpu":  # a GPU wants its kernels large
            return len(x)
        image = (x.shape[1] if shared else x.shape[1] // self.capacity, *x.shape[2:])
        if image not in self._per_image_numbers:
            self._per_image_numbers[image] = largest_activation(self.fast_ops[:self.per_image], image)
        return slice_rows(len(x), self._per_image_numbers[image], self.capacity, x.element_size(), self.slice_bytes)

    def _layers(self, ops: Sequence[tuple[str, nn.Module]], x: Tensor, train: bool, shared: bool,
                probe: dict[str, list[Tensor]] | None, generator: torch.Generator | None) -> Tensor:
        """``ops`` in order on ``x``; ``shared``: ``x`` is the one batch every member sees."""
        k = self.capacity
        conv_layout = self.image and x.dim() == 4  # [batch, K*C, H, W] until the flatten, then [K, batch, features]
        skip_relu = False
        for name, module in ops:
            if skip_relu:  # done inside the dense layer before it
                skip_relu = False
                continue
            if isinstance(module, nn.Linear):
                w, b = self.params[f"{name}.weight"], self.params[f"{name}.bias"]
                skip_relu = probe is None and name in self.fused_relu
                if shared:  # every member reads the one batch in place (batch stride 0): no transposed copy
                    x = stacked_linear(x.expand(k, *x.shape), w, b, skip_relu)
                    shared = False
                else:
                    x = stacked_linear(x, w, b, skip_relu)
            elif isinstance(module, nn.Conv2d):
                w, b = self.params[f"{name}.weight"], self.params[f"{name}.bias"]
                padding = module.padding
                uneven = uneven_same_padding(module)
                if uneven is not None:  # as the solo model's SameConv2d: no warning from torch mid-study
                    x, padding = F.pad(x, uneven), 0
                x = F.conv2d(x, w.reshape(-1, *w.shape[2:]), b.reshape(-1), module.stride, padding,
                             module.dilation, groups=1 if shared else k)
                shared = False
            elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                x = self._batch_norm(name, module, x, train, conv_layout)
            elif isinstance(module, nn.Flatten):
                if conv_layout:
                    x = x.reshape(len(x), k, -1).transpose(0, 1)
                    conv_layout = False
                elif not shared:
                    x = x.reshape(k, x.shape[1], -1)
            elif isinstance(module, nn.Dropout):
                if train and self.any_dropout:
                    keep = (1 - self.dropout).view(k, *[1] * (x.dim() - 1))
                    mask = torch.rand(x.shape, device=x.device, generator=generator) < keep
                    x = x * mask / keep
            elif isinstance(module, nn.ReLU) and probe is None:
                x = F.relu(x, inplace=True)  # what it overwrites no backward needs (autograd checks)
            else:  # activations and pooling act on each channel alone
                x = module(x)
            if probe is not None and (isinstance(module, (nn.Linear, nn.Conv2d)) or name in self.activation_of):
                layer = self.activation_of.get(name, name)
                probe.setdefault(layer, []).append(x.reshape(len(x), k, -1).transpose(0, 1) if conv_layout else x)
        return x

    def _batch_norm(self, name: str, module: nn.Module, x: Tensor, train: bool, conv_layout: bool) -> Tensor:
        mean, var = self.buffers[f"{name}.running_mean"], self.buffers[f"{name}.running_var"]
        if train:
            self.buffers[f"{name}.num_batches_tracked"] += 1
        args = (mean.view(-1), var.view(-1), self.params[f"{name}.weight"].reshape(-1),
                self.params[f"{name}.bias"].reshape(-1), train, module.momentum, module.eps)
        if conv_layout:
            return F.batch_norm(x, *args)
        k, b, units = x.shape
        return F.batch_norm(x.transpose(0, 1).reshape(b, k * units), *args).view(b, k, units).transpose(0, 1)

    # ------------------------------------------------------------ statistics

    def grad_norms(self) -> Tensor:
        """[layers, K]: each member's gradient L2 norm per layer (weight and bias together)."""
        rows = []
        for layer in self.layer_names:
            total = None
            for part in ("weight", "bias"):
                grad = self.params[f"{layer}.{part}"].grad
                if grad is not None:
                    sq = grad.pow(2).reshape(self.capacity, -1).sum(1)
                    total = sq if total is None else total + sq
            rows.append(total.sqrt() if total is not None else torch.zeros(self.capacity, device=self.device))
        return torch.stack(rows).float()


def probe_moments(probe: Mapping[str, list[Tensor]], layer_names: Sequence[str], max_rows: int = 256) -> list[Moments]:
    """Per member, the activation moments of each layer on the probed batch (as :class:`Moments`,
    so each member's statistics read exactly like a solo model's)."""
    sums, squares, nonzeros, counts = [], [], [], []
    for name in layer_names:
        outputs = probe.get(name, [])
        x = outputs[-1].detach()[:, :max_rows]
        flat = x.reshape(x.shape[0], -1).double()
        sums.append(flat.sum(1))
        squares.append((flat * flat).sum(1))
        nonzeros.append(torch.count_nonzero(flat, dim=1))
        counts.append(flat.shape[1])
    s = torch.cat([torch.stack(sums, 1), torch.stack(squares, 1)], 1).cpu()
    nz = torch.stack(nonzeros, 1).cpu()
    return [Moments(s[k], nz[k], counts) for k in range(s.shape[0])]


def huber_per_member(out: Tensor, target: Tensor, delta: Tensor) -> Tensor:
    """``F.huber_loss(reduction="none")`` with each member's own ``delta`` [K] (outputs and
    targets [K, batch, ...]): quadratic within delta of the target, linear beyond."""
    d = delta.view(-1, *([1] * (target.dim() - 1)))
    r = (out - target).abs()
    return torch.where(r < d, 0.5 * r * r, d * (r - 0.5 * d))


def stacked_loss(name: str, task: str, n_classes: int) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
    """Each member's mean batch loss, [K], from outputs [K, batch, n], targets [K, batch, ...]
    and each member's Huber delta [K] (read by ``huber`` only: it may differ from member to
    member); the same definitions as :func:`nntune.train.loop.make_loss`."""
    def per_member(values: Tensor) -> Tensor:
        return values.reshape(values.shape[0], -1).mean(1)

    if task == "classification":
        if name == "cross_entropy":  # classes on dim 1: several times faster than [K*batch, classes] on the CPU
            return lambda out, y, _delta: per_member(F.cross_entropy(out.transpose(1, 2), y, reduction="none"))
        return lambda out, y, _delta: per_member(
            F.mse_loss(out.float().softmax(-1), F.one_hot(y, n_classes).float(), reduction="none"))
    if name == "huber":
        return lambda out, y, delta: per_member(huber_per_member(out.float().view_as(y), y, delta))
    fn: Callable[..., Tensor] = {"mse": F.mse_loss, "mae": F.l1_loss}[name]
    return lambda out, y, _delta: per_member(fn(out.float().view_as(y), y, reduction="none"))
