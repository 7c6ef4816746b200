"""Inputs given to ``nntune.load_model``'s module from Python, before they reach the network:
nested lists and numbers held as objects become a float array, text is refused in one line,
and ``predict`` refuses rows its network could only answer with NaN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def as_numbers(x: Any) -> Any:
    """Nested lists as an array, and an array of numbers held as objects (``to_numpy()`` of
    a DataFrame with a bool column beside float ones, as ``nntune.tune(data=...)`` trains on)
    as floats; text is refused in one line, not in torch's list of the dtypes it converts.
    Anything else (a tensor, a numeric array) as it is."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "OUS":
        return x
    try:
        return x.astype(np.float64)
    except (TypeError, ValueError):
        bad = next((v for v in x.ravel() if not _number(v)), None)
        shown = repr(str(bad)) if isinstance(bad, (str, bytes)) else "a value that is not a number"
        raise ValueError(f"inputs must be numbers, got {shown}; a table with text columns is read by "
                         "name from a DataFrame") from None


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


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
    x = as_numbers(x)
    if isinstance(x, torch.Tensor):
        if not x.is_floating_point() or bool(torch.isfinite(x).all()):
            return
        x = x.detach().cpu().numpy()
    values = np.asarray(x)
    if values.dtype.kind != "f":  # integers and booleans are always finite
        return
    if values.ndim <= 1 or values.shape == tuple(input_shape):
        values = values[None]
    _check_finite(values, "the batch", fills)
