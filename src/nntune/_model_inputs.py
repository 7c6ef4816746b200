"""Inputs given to ``nntune.load_model``'s module from Python, before they reach the network:
``predict`` refuses rows its network could only answer with NaN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def check_finite(x: Any, input_shape: Sequence[int], fills: bool) -> None:
    """Refuse an array or tensor ``x`` holding an infinite input, or a missing (NaN) one
    unless the model ``fills`` gaps, naming its rows as ``nntune predict`` names a file's:
    the network answers such a row with NaN, which ``predict`` would turn into the first
    class's label, or hand back as a value. ``input_shape``: the model's input, so that one
    input given unbatched is row 0. A tensor is checked on its device, copied only to name
    the rows of a refusal."""
    from nntune.predict import _check_finite

    if not isinstance(x, (torch.Tensor, np.ndarray, list, tuple)):
        return
    if isinstance(x, torch.Tensor):
        if not x.is_floating_point() or bool(torch.isfinite(x).all()):
            return
        x = x.detach().cpu().numpy()
    values = np.asarray(x)
    if values.dtype.kind != "f":  # integers and booleans are always finite; text is torch's to refuse
        return
    if values.ndim <= 1 or values.shape == tuple(input_shape):
        values = values[None]
    _check_finite(values, "the batch", fills)
