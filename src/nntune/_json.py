"""Strict JSON for what nntune writes for other programs: the dashboard's API, ``--json``
outputs, ``nntune export --format json``, ``nntune trials -f json``.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no strict parser
(JavaScript's ``JSON.parse``, ``jq``, most languages' libraries) reads back. A value a
program stored (a user attribute of ``float("inf")``, a diverged curve) becomes ``null``
here, the mark JSON has for "no number".

Every storage also refuses, with :class:`TooDeep`, a value nested deeper than JSON can
safely be read back (:func:`depth_checked`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

# The deepest nesting of lists and mappings a storage keeps. Python's json (and the journal's
# own encoding) recurse once per level and give up near the interpreter's recursion limit
# (1000 frames, less by the caller's own); a value written just under it could then fail
# to read back from a deeper stack. No record of a study comes near this.
DEPTH_LIMIT = 100
_NESTING = (list, tuple, set, frozenset)
_SCALARS = frozenset({int, float, str, bool, type(None)})


def plain(obj: Any) -> Any:
    """``obj`` with every non-finite float turned into None, mapping keys into strings and
    tuples into lists (what ``json`` would write), the rest as it is."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


def dumps(obj: Any, **options: Any) -> str:
    """``obj`` as strict JSON (``allow_nan=False`` after :func:`plain`, so a non-finite
    number can never slip through); anything else JSON lacks (a datetime) as its text."""
    return json.dumps(plain(obj), allow_nan=False, default=str, **options)


def infinite_text(value: Any) -> Any:
    """``value``, an infinite float as the text ``"inf"`` or ``"-inf"``: an objective's value
    (Optuna takes infinite ones) where a reader must tell it from no value at all, as
    optuna-dashboard's API carries it; :func:`plain` would write ``null``."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def text_number(value: Any) -> Any:
    """:func:`infinite_text` undone: ``"inf"`` and ``"-inf"`` as floats, the rest as it is."""
    return float(value) if isinstance(value, str) and value in ("inf", "-inf") else value


class TooDeep(TypeError):
    """A value nested deeper than :data:`DEPTH_LIMIT`, refused as JSON refuses a datetime."""


def nested_too_deep(value: Any, limit: int = DEPTH_LIMIT) -> bool:
    """Whether ``value`` holds lists or mappings more than ``limit`` levels inside each other.
    Walked level by level, without recursion, since recursion is what such a value breaks."""
    level = [value]
    for _ in range(limit + 1):
        inner: list[Any] = []
        nested = False
        for item in level:
            if isinstance(item, Mapping):
                inner.extend(v for v in item.values() if type(v) not in _SCALARS)
            elif isinstance(item, _NESTING):
                inner.extend(v for v in item if type(v) not in _SCALARS)
            else:
                continue
            nested = True
        if not nested:
            return False
        level = inner
    return True


def depth_checked(encode: Callable[[], str], *values: Any) -> str:
    """``encode()`` (JSON text of ``values``), refused with :class:`TooDeep` when one of them
    is nested deeper than :data:`DEPTH_LIMIT`. Walked only when the text holds that many
    brackets (or the encoding ran out of stack), so a long flat list costs nothing more."""
    try:
        text = encode()
    except RecursionError:
        check_depth(*values)
        raise  # the caller's own stack was deep, not the value
    if text.count("[") + text.count("{") > DEPTH_LIMIT:
        check_depth(*values)
    return text


def check_depth(*values: Any) -> None:
    """Raise :class:`TooDeep` when one of ``values`` is nested too deep (:func:`nested_too_deep`)."""
    if any(nested_too_deep(v) for v in values):
        raise TooDeep(f"a value nested more than {DEPTH_LIMIT} levels deep (lists or mappings inside "
                      f"each other) is not JSON serializable by a storage")


def refused_by_json(err: TypeError) -> bool:
    """Whether ``err`` is JSON's refusal of a value (a datetime, an object, one nested too
    deep) or of a mapping's key (a tuple), which a storage raises for an attribute it cannot hold."""
    text = str(err)
    return isinstance(err, TooDeep) or "JSON serializable" in text or text.startswith("keys must be")
