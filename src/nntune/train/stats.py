"""Per-layer gradient norms and activation statistics, measured on one batch per epoch.

A layer is a Linear or Conv module. Its activation is the output of the activation
function that follows it (ReLU, tanh, ...) when that function is its own module called
once per forward pass; otherwise (the output layer, or a ReLU that a ResNet block shares)
it is the layer's own output. Hooks are attached only for the one probed batch, so the
other batches of the epoch run exactly as without statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

LAYER_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
# Every activation the diagnosis reads (nntune.diagnose_layers: the bounded ones are judged
# against their range, so theirs must be the outputs measured, not the layer's pre-activations).
ACTIVATION_TYPES = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Softplus,
                    nn.Hardtanh, nn.Hardsigmoid, nn.Softsign)


@dataclass
class Layer:
    name: str
    module: nn.Module
    activation: nn.Module | None
    outputs: list[torch.Tensor] = field(default_factory=list)
    activations: list[torch.Tensor] = field(default_factory=list)


def find_layers(model: nn.Module) -> list[Layer]:
    """Linear/Conv layers in registration order, each with the activation module after it."""
    layers: list[Layer] = []
    for name, module in model.named_modules():
        if isinstance(module, LAYER_TYPES):
            layers.append(Layer(name, module, None))
        elif isinstance(module, ACTIVATION_TYPES) and layers and layers[-1].activation is None:
            layers[-1].activation = module
    return layers


@dataclass
class Moments:
    """Raw per-tensor sums, still on the device: turned into numbers only at the epoch's end."""

    sums: torch.Tensor  # [sum of x for each tensor, then sum of x*x for each tensor], float64
    nonzeros: torch.Tensor  # count of non-zero entries per tensor
    counts: list[int]  # entries per tensor

    def stats(self) -> list[list[float]]:
        """[mean, std, fraction of exact zeros] per tensor (NaNs for an empty one)."""
        values, nonzeros = self.sums.tolist(), self.nonzeros.tolist()
        half = len(self.counts)
        rows = []
        for total, squares, nonzero, n in zip(values[:half], values[half:], nonzeros, self.counts):
            if n == 0:
                rows.append([math.nan] * 3)
                continue
            mean = total / n
            var = max(squares - total * mean, 0.0) / max(n - 1, 1)
            rows.append([mean, math.sqrt(var), 1.0 - nonzero / n])
        return rows


def moments(tensors: Sequence[torch.Tensor | None], max_rows: int) -> Moments:
    """Sums, sums of squares and non-zero counts of the first ``max_rows`` samples of each tensor.

    Four tensor operations per tensor and two to gather them: on small layers the fixed cost
    of each operation, not the arithmetic, is what takes the time, so everything else is
    done in Python on the gathered numbers. float64 keeps a large mean from cancelling a
    small spread. A missing tensor (None) counts as empty.
    """
    device = next((t.device for t in tensors if t is not None), torch.device("cpu"))
    dtype = torch.float64 if device.type in ("cpu", "cuda") else torch.float32
    sums, squares, nonzeros, counts = [], [], [], []
    for x in tensors:
        x = torch.zeros(0, device=device) if x is None else x.detach()
        if x.dim() > 0 and x.shape[0] > max_rows:
            x = x[:max_rows]
        flat = x.reshape(-1).to(dtype)
        sums.append(flat.sum())
        squares.append(torch.dot(flat, flat))
        nonzeros.append(torch.count_nonzero(flat))
        counts.append(flat.numel())
    if not counts:
        return Moments(torch.zeros(0, dtype=dtype), torch.zeros(0, dtype=torch.long), [])
    return Moments(torch.stack(sums + squares), torch.stack(nonzeros), counts)


def tensor_stats(x: torch.Tensor) -> list[float]:
    """[mean, std, fraction of exact zeros] of all of ``x``."""
    return moments([x], max_rows=max(1, len(x) if x.dim() else 1)).stats()[0]


class LayerProbe:
    """Measures each layer on the batch run inside :meth:`capture`.

    Usage, once per epoch: ``with probe.capture(): loss = ...forward...``, then after
    ``backward()`` call :meth:`grad_norms`, and at the epoch's end :meth:`records`.
    Activation statistics use at most ``max_rows`` samples of the batch, so their cost
    does not grow with the batch size.
    """

    def __init__(self, model: nn.Module, max_rows: int = 256) -> None:
        self.layers = find_layers(model)
        self.max_rows = max_rows
        self._acts: Moments | None = None
        self._grads: torch.Tensor | None = None

    @contextmanager
    def capture(self) -> Iterator[None]:
        handles = []
        for layer in self.layers:
            layer.outputs.clear()
            layer.activations.clear()
            handles.append(layer.module.register_forward_hook(self._keeper(layer.outputs)))
            if layer.activation is not None:
                handles.append(layer.activation.register_forward_hook(self._keeper(layer.activations)))
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
        self._acts = self._activation_stats()

    @staticmethod
    def _keeper(store: list[torch.Tensor]) -> Any:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                store.append(output)  # measured once the forward pass is over

        return hook

    def _activation_stats(self) -> Moments:
        chosen: list[torch.Tensor | None] = []
        for layer in self.layers:
            # A shared activation module fires more than once; its numbers belong to no single layer.
            source = layer.activations if len(layer.activations) == 1 else layer.outputs
            chosen.append(source[0] if source else None)
            layer.outputs.clear()
            layer.activations.clear()
        return moments(chosen, self.max_rows)

    def grad_norms(self) -> None:
        """Remember each layer's gradient L2 norm (weight and bias together); call after backward.

        A frozen layer (no gradient) reports 0.
        """
        norms = []
        for layer in self.layers:
            grads = [p.grad.reshape(-1) for p in layer.module.parameters(recurse=False) if p.grad is not None]
            if not grads:
                norms.append(layer.module.weight.new_zeros(()))
                continue
            norms.append(torch.linalg.vector_norm(grads[0] if len(grads) == 1 else torch.cat(grads)))
        self._grads = torch.stack(norms).float() if norms else None

    def records(self) -> list[dict[str, Any]]:
        """One dict per layer: name, grad_norm, act_mean, act_std, act_zero_frac (plain floats)."""
        acts = self._acts.stats() if self._acts is not None else [[math.nan] * 3] * len(self.layers)
        grads = self._grads.tolist() if self._grads is not None else [math.nan] * len(self.layers)
        return [
            {"name": layer.name, "grad_norm": g, "act_mean": a[0], "act_std": a[1], "act_zero_frac": a[2]}
            for layer, g, a in zip(self.layers, grads, acts)
        ]
