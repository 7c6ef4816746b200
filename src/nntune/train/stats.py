"""Per-layer gradient norms and activation statistics, measured on one batch per epoch.

A layer is a Linear or Conv module. Its activation is the output of the activation
function that follows it (ReLU, tanh, ...) when that function is its own module called
once per forward pass; otherwise (the output layer, or a ReLU that a ResNet block shares)
it is the layer's own output. Hooks are attached only for the one probed batch, so the
other batches of the epoch run exactly as without statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

LAYER_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
ACTIVATION_TYPES = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Softplus)


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


def tensor_stats(x: torch.Tensor) -> torch.Tensor:
    """[mean, std, fraction of exact zeros] of ``x`` as one float tensor (no host sync).

    Built from a sum, a dot product and a sign count, which are several times faster on CPU
    than ``std_mean`` and ``count_nonzero``; values are shifted by their first element so
    that a large mean does not cancel a small spread.
    """
    flat = x.reshape(-1).float()
    n = flat.numel()
    shifted = flat - flat[0]
    total, squares = shifted.sum(), torch.dot(shifted, shifted)
    mean = flat[0] + total / n
    var = ((squares - total * total / n) / max(n - 1, 1)).clamp_min(0.0)
    zero_frac = 1.0 - flat.sign().abs().sum() / n
    return torch.stack([mean, var.sqrt(), zero_frac])


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
        first = next(model.parameters(), None)
        self._device = first.device if first is not None else torch.device("cpu")
        self._acts: torch.Tensor | None = None
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

    def _keeper(self, store: list[torch.Tensor]) -> Any:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                store.append(output.detach()[: self.max_rows])  # a view: nothing is copied

        return hook

    def _activation_stats(self) -> torch.Tensor | None:
        rows = []
        for layer in self.layers:
            # A shared activation module fires more than once; its numbers belong to no single layer.
            source = layer.activations if len(layer.activations) == 1 else layer.outputs
            rows.append(tensor_stats(source[0]) if source else torch.full((3,), math.nan, device=self._device))
            layer.outputs.clear()
            layer.activations.clear()
        return torch.stack(rows) if rows else None

    def grad_norms(self) -> None:
        """Remember each layer's gradient L2 norm (weight and bias together); call after backward.

        A frozen layer (no gradient) reports 0.
        """
        norms = []
        for layer in self.layers:
            grads = [p.grad for p in layer.module.parameters(recurse=False) if p.grad is not None]
            per_tensor = [torch.linalg.vector_norm(g, dtype=torch.float32) for g in grads]
            zero = layer.module.weight.new_zeros((), dtype=torch.float32)
            norms.append(torch.linalg.vector_norm(torch.stack(per_tensor)) if per_tensor else zero)
        self._grads = torch.stack(norms) if norms else None

    def records(self) -> list[dict[str, Any]]:
        """One dict per layer: name, grad_norm, act_mean, act_std, act_zero_frac (plain floats)."""
        acts = self._acts.tolist() if self._acts is not None else [[math.nan] * 3 for _ in self.layers]
        grads = self._grads.tolist() if self._grads is not None else [math.nan] * len(self.layers)
        return [
            {"name": layer.name, "grad_norm": g, "act_mean": a[0], "act_std": a[1], "act_zero_frac": a[2]}
            for layer, g, a in zip(self.layers, grads, acts)
        ]
