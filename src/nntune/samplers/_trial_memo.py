"""What a sampler derives from one finished trial, remembered by the trial object.

A storage hands out one object per version of a trial (a changed trial comes back as a
new object: the in-memory storage copies it anew, SQLite's ``DecodedTrials`` decodes it
anew), and a finished trial's parameters and values never change. So whatever is derived
from a finished trial alone (its values as a row, whether it is feasible, its place in the
unit cube) can be kept by the identity of the object and reused at every later ask,
instead of being derived again for each of thousands of trials. A running or waiting trial
is derived afresh every time.

The memo refers to each trial weakly (a trial that is gone leaves its id to others, and
its entry then answers no one) and forgets the oldest entries past ``limit``: it is a
cache, and a miss costs only the derivation.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from nntune.trial import FrozenTrial

T = TypeVar("T")

LIMIT = 100_000  # entries kept: several large studies' worth, a few hundred bytes each


class TrialMemo(Generic[T]):
    """``derive(trial)`` for finished trials, computed once per trial object."""

    def __init__(self, derive: Callable[[FrozenTrial], T], limit: int = LIMIT) -> None:
        self._derive = derive
        self._limit = limit
        self._kept: dict[int, tuple[weakref.ref[FrozenTrial], T]] = {}

    def __call__(self, trial: FrozenTrial) -> T:
        hit = self._kept.get(id(trial))
        if hit is not None and hit[0]() is trial:
            return hit[1]
        value = self._derive(trial)
        if trial.state.is_finished():
            _keep(self._kept, trial, (_ref(self._kept, trial), value), self._limit)
        return value

    def many(self, trials: Iterable[FrozenTrial]) -> list[T]:
        """``[self(t) for t in trials]``, the hits looked up in this loop: a large study's
        ask reads thousands, and a call apiece was most of the cost."""
        get, out = self._kept.get, []
        for t in trials:
            hit = get(id(t))
            out.append(hit[1] if hit is not None and hit[0]() is t else self(t))
        return out

    def __len__(self) -> int:
        return len(self._kept)

    def __getstate__(self) -> dict[str, object]:
        """Pickled empty (with the sampler that holds it): a cache of this process's objects."""
        return {**self.__dict__, "_kept": {}}


class ScoredCopies:
    """Copies of trials with another ``value`` (a Pareto score), each kept by the trial
    object and handed out again while the score is the same: a history view then holds the
    very same objects from one ask to the next wherever the scores did not move, which
    costs nothing to build and lets a sampler's identity checks (``RankCache``) hold."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._kept: dict[int, tuple[weakref.ref[FrozenTrial], float, FrozenTrial]] = {}

    def __call__(self, trial: FrozenTrial, value: float) -> FrozenTrial:
        hit = self._kept.get(id(trial))
        if hit is not None and hit[1] == value and hit[0]() is trial:
            return hit[2]
        copy = with_value(trial, value)
        if trial.state.is_finished():
            _keep(self._kept, trial, (_ref(self._kept, trial), value, copy), self._limit)
        return copy

    def many(self, trials: Sequence[FrozenTrial], values: Sequence[float]) -> list[FrozenTrial]:
        """``[self(t, v) for t, v in zip(trials, values)]``, the hits looked up in this loop."""
        get, out = self._kept.get, []
        for t, v in zip(trials, values):
            hit = get(id(t))
            out.append(hit[2] if hit is not None and hit[1] == v and hit[0]() is t else self(t, v))
        return out


def _ref(kept: dict[int, Any], trial: FrozenTrial) -> weakref.ref[FrozenTrial]:
    """A weak reference to ``trial`` that drops its entry from ``kept`` when the trial is
    gone (a view's copy made for one ask, say), so that dead entries do not pile up."""
    key = id(trial)

    def drop(ref: weakref.ref[FrozenTrial]) -> None:
        entry = kept.get(key)
        if entry is not None and entry[0] is ref:  # not an entry made since for a new object
            kept.pop(key, None)
    return weakref.ref(trial, drop)


def _keep(kept: dict[int, Any], trial: FrozenTrial, entry: tuple[Any, ...], limit: int) -> None:
    kept[id(trial)] = entry
    if len(kept) > limit:  # the oldest first: dicts keep insertion order
        for old in list(kept)[:len(kept) - limit // 2]:
            kept.pop(old, None)  # .pop: threads asking at once share it


def with_value(trial: FrozenTrial, value: float) -> FrozenTrial:
    """``dataclasses.replace(trial, value=value)`` (the same fields, shared as ``replace``
    shares them) without the generic ``replace`` and ``__init__``: ten times cheaper, and a
    view of a large study makes thousands of them."""
    copy = object.__new__(type(trial))
    copy.__dict__.update(trial.__dict__)
    copy.value = value
    return copy

