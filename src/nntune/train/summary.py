"""A model's layer table: one row per leaf module (name, type, output shape, parameters) and
a total row with the trainable count, as the dry run and each trial's record show it, and as
fixed-width text. :mod:`nntune.train.models` re-exports these names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn


def summarize(model: nn.Module, input_shape: Sequence[int]) -> list[dict[str, Any]]:
    """One row per leaf module (name, type, output shape, parameters) and a total row.

    Runs one forward pass on a batch of two zero inputs in eval mode, on the model's device.
    """
    rows: dict[str, dict[str, Any]] = {}
    handles = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            rows[name] = {
                "name": name,
                "type": type(module).__name__,
                "output_shape": None,
                "params": sum(p.numel() for p in module.parameters()),
            }

            def hook(_m: nn.Module, _in: Any, out: Any, row: dict[str, Any] = rows[name]) -> None:
                if isinstance(out, torch.Tensor):
                    row["output_shape"] = [-1, *out.shape[1:]]

            handles.append(module.register_forward_hook(hook))
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(2, *input_shape, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out = list(rows.values())
    out.append({"name": "total", "type": "", "output_shape": None, "params": total, "trainable": trainable})
    return out


def format_summary(rows: Sequence[Mapping[str, Any]]) -> str:
    """The summary rows as a fixed-width text table."""
    header = ("layer", "type", "output shape", "params")
    lines = [
        (
            str(r["name"]),
            str(r["type"]),
            "" if r.get("output_shape") is None else str(tuple(r["output_shape"])),
            f"{r['params']:,}",
        )
        for r in rows
        if r["name"] != "total"
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + f"  {{:>{widths[-1]}}}"
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    text = [fmt.format(*header), rule, *(fmt.format(*line) for line in lines), rule]
    for r in rows:
        if r["name"] == "total":
            text.append(f"total parameters: {r['params']:,}  trainable: {r.get('trainable', r['params']):,}")
    return "\n".join(text)
