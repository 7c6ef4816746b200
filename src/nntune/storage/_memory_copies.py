"""What goes into and comes out of :class:`~nntune.storage.memory.InMemoryStorage`: copies,
never the stored objects, so a caller that changes what it passed or got back changes
nothing stored, and values come back exactly as SQL storage returns them (through JSON).
"""

from __future__ import annotations

import json
from typing import Any

from nntune._json import depth_checked
from nntune.trial import FrozenTrial


def _json(value: Any) -> Any:
    """A copy through JSON, so the memory storage accepts and returns exactly what SQL storage does."""
    if type(value) is dict and not value:
        return {}
    return json.loads(depth_checked(lambda: json.dumps(value, default=_plain), value))


def _clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): what ``copy.deepcopy`` does, faster."""
    if type(value) is dict:
        return {k: _clone(v) if type(v) in _NESTED else v for k, v in value.items()}
    if type(value) is list:
        return [_clone(v) if type(v) in _NESTED else v for v in value]
    return value


_NESTED = (dict, list)


def _plain(obj: Any) -> Any:
    """What JSON cannot write, as what it can: numpy and torch values, scalars and arrays
    alike (as numbers and nested lists), sets and tuples (as lists)."""
    if callable(getattr(obj, "tolist", None)):  # numpy arrays and scalars, torch tensors
        return obj.tolist()
    if hasattr(obj, "item"):  # other scalars of array libraries
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _copy_trial(t: FrozenTrial, with_metrics: bool) -> FrozenTrial:
    """A trial as a reader gets it: its dicts fresh copies, its metric records only ``with_metrics``."""
    out = object.__new__(FrozenTrial)  # a shallow copy without copy.copy's generic path
    out.__dict__.update(t.__dict__)
    out.params = _clone(t.params)
    out.distributions = dict(t.distributions)
    out.intermediate_values = dict(t.intermediate_values)
    out.metrics = _clone(t.metrics) if with_metrics else []
    out.user_attrs = _clone(t.user_attrs)
    out.system_attrs = _clone(t.system_attrs)
    return out
