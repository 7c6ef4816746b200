"""Query parameters of the dashboard's JSON API, checked: a bad one is a :class:`BadQuery`
naming the parameter and the problem, answered with a 400 and that one line."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from nntune.report.browse import MAX_PAGE_SIZE, SORT_KEYS, ParamRange, TrialQuery
from nntune.trial import FrozenTrial, TrialState

STATES = frozenset(s.value for s in TrialState)
# Python's int() and float() also read "1_000", "١٢" (Arabic-Indic digits) and full-width
# digits: a query typed or pasted with them would silently mean another number than it shows.
INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)


class BadQuery(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")


def one(params: Mapping[str, Sequence[str]], name: str, default: str | None = None) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadQuery(name, "given more than once")
    return values[0] if values else default


def required(params: Mapping[str, Sequence[str]], name: str) -> str:
    value = one(params, name)
    if value is None or value == "":
        raise BadQuery(name, "missing")
    return value


def integer(params: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int) -> int:
    text = one(params, name)
    if text is None or text == "":
        return default
    if not INTEGER.fullmatch(text):
        raise BadQuery(name, f"expected an integer, got {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise BadQuery(name, f"must be between {low} and {high}, got {value}")
    return value


def required_integer(params: Mapping[str, Sequence[str]], name: str, low: int, high: int) -> int:
    """An integer the request must give (a trial's ``number``): missing is a BadQuery naming
    it, never a default that reads as "no such trial"."""
    required(params, name)
    return integer(params, name, low, low, high)


def number(text: str, name: str) -> float | None:
    if text == "":
        return None
    if not NUMBER.fullmatch(text.strip()):
        raise BadQuery(name, f"expected a number, got {text!r}")
    value = float(text)
    if math.isnan(value):
        raise BadQuery(name, "must not be NaN")
    return value


def trial_query(params: Mapping[str, Sequence[str]]) -> TrialQuery:
    """``state=complete,pruned`` (repeatable), ``range=NAME:LOW:HIGH`` (repeatable, either
    bound may be empty), ``value_min``, ``value_max``, ``sort`` (number, value, state, epochs,
    duration, start or param:NAME), ``order`` (asc or desc), ``page`` (from 0), ``size``."""
    states = {s for text in params.get("state", []) for s in text.split(",") if s}
    unknown = sorted(states - STATES)
    if unknown:
        raise BadQuery("state", f"unknown state {unknown[0]!r} (expected one of {', '.join(sorted(STATES))})")
    ranges = []
    for text in params.get("range", []):
        # A define-by-run parameter's name may hold colons itself, and may be "" (Optuna allows
        # it): ":0:1" ranges over the parameter named "".
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            raise BadQuery("range", f"expected NAME:LOW:HIGH, got {text!r}")
        low, high = number(parts[1], "range"), number(parts[2], "range")
        if low is not None and high is not None and low > high:
            raise BadQuery("range", f"low {low:g} is above high {high:g} for {parts[0]!r}")
        ranges.append(ParamRange(parts[0], low, high))
    vmin = number(one(params, "value_min", "") or "", "value_min")
    vmax = number(one(params, "value_max", "") or "", "value_max")
    if vmin is not None and vmax is not None and vmin > vmax:  # as a range's bounds: no row could match
        raise BadQuery("value_max", f"{vmax:g} is below value_min {vmin:g}")
    sort = one(params, "sort", "number") or "number"
    if sort not in SORT_KEYS and not sort.startswith("param:"):  # "param:" sorts by the parameter named ""
        raise BadQuery("sort", f"expected one of {', '.join(SORT_KEYS)} or param:NAME, got {sort!r}")
    order = one(params, "order", "asc")
    if order not in ("asc", "desc"):
        raise BadQuery("order", f"expected asc or desc, got {order!r}")
    return TrialQuery(states=frozenset(states), ranges=tuple(ranges), value_min=vmin, value_max=vmax,
                      sort=sort, descending=order == "desc",
                      page=integer(params, "page", 0, 0, 10**9),
                      size=integer(params, "size", 50, 1, MAX_PAGE_SIZE))


def numeric_params(trials: Sequence[FrozenTrial]) -> frozenset[str]:
    """The parameters whose every value is a number (a choice of numbers too; bools and None
    are no numbers)."""
    numeric: dict[str, bool] = {}
    for t in trials:
        for name, v in t.params.items():
            numeric[name] = numeric.get(name, True) and isinstance(v, (int, float)) and not isinstance(v, bool)
    return frozenset(n for n, ok in numeric.items() if ok)


def check_params(query: TrialQuery, trials: Sequence[FrozenTrial], numeric: frozenset[str], study: str) -> None:
    """Refuse a range or a sort naming a parameter the study lacks, and a range over a
    parameter that is not a number (it would match nothing, silently)."""
    def known(name: str) -> bool:
        return name in numeric or any(name in t.params for t in trials)
    for r in query.ranges:
        if r.name not in numeric:
            raise BadQuery("range", f"parameter {r.name!r} takes values that are not numbers" if known(r.name)
                           else f"no parameter {r.name!r} in study {study!r}")
    name = query.sort[len("param:"):] if query.sort.startswith("param:") else None
    if name is not None and not known(name):
        raise BadQuery("sort", f"no parameter {name!r} in study {study!r}")
