"""Strict JSON for what nntune writes for other programs: the dashboard's API, ``--json``
outputs, ``nntune export --format json``, ``nntune trials -f json``.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no strict parser
(JavaScript's ``JSON.parse``, ``jq``, most languages' libraries) reads back. A value a
program stored (a user attribute of ``float("inf")``, a diverged curve) becomes ``null``
here, the mark JSON has for "no number".
"""

from __future__ import annotations

import json
import math
from typing import Any


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


def refused_by_json(err: TypeError) -> bool:
    """Whether ``err`` is JSON's refusal of a value (a datetime, an object) or of a mapping's
    key (a tuple), which a storage raises for an attribute it cannot hold."""
    text = str(err)
    return "JSON serializable" in text or text.startswith("keys must be")
