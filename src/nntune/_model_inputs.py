"""Inputs given to ``nntune.load_model``'s module from Python, before they reach the network:
nested lists and numbers held as objects become a float array, text is refused in one line,
as is what holds no inputs at all (None, a string, a mapping), and ``predict`` refuses rows
its network could only answer with NaN."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def as_numbers(x: Any) -> Any:
    """Nested lists as an array, and an array of numbers held as objects (``to_numpy()`` of
    a DataFrame with a bool column beside float ones, as ``nntune.tune(data=...)`` trains on)
    as floats; text is refused in one line, not in torch's list of the dtypes it converts.
    Anything else (a tensor, a numeric array) as it is; what holds no inputs at all is
    refused in one TypeError (see :func:`not_inputs`)."""
    problem = not_inputs(x)
    if problem is not None:
        raise TypeError(problem)
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


ACCEPTED = "a tensor, a numpy array, nested lists of numbers or a pandas DataFrame"


def not_inputs(x: Any) -> str | None:
    """Why ``x`` is no batch of inputs at all, or None where it may be one (its shape and
    values are checked later). Torch's own words for None, a string or a mapping name its
    internals ("Could not infer dtype of NoneType", "new(): invalid data type 'str'")."""
    if isinstance(x, (str, bytes, bytearray, os.PathLike)):  # a file's name, most likely
        return (f"x: must be {ACCEPTED}, got {_shown(x)}; a file's rows are read by the command "
                "nntune predict, or from pandas.read_csv(path)")
    if isinstance(x, (torch.Tensor, np.ndarray, np.generic, numbers.Number, Sequence)) or any(
            hasattr(x, name) for name in ("__array__", "__array_interface__", "__dlpack__")):
        return None
    return f"x: must be {ACCEPTED}, got {_shown(x)}"


def _shown(x: Any) -> str:
    """``x`` with its type, its repr cut at 40 characters (None as itself)."""
    if isinstance(x, os.PathLike):  # not "PosixPath PosixPath('a.csv')"
        return f"path {os.fspath(x)!r}"
    text = repr(x)
    text = text if len(text) <= 40 else text[:37] + "..."
    return text if x is None else f"{type(x).__name__} {text}"


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
