"""The history as model-based samplers read it: which trials count, in which order, where
they lie in the unit cube, and how a parameter outside the joint space is handled.

Ranking rule (shared by TPE and coarse-to-fine). Trials are ordered best first by:

1. complete trials, by their value (lower first when minimizing, higher when maximizing;
   an infinite value counts, as the worst or the best);
2. pruned trials, by the last step they reported, later steps first (a trial stopped at
   epoch 9 outranks one stopped at epoch 1), then by their last reported intermediate value
   at that step; a pruned trial that reported nothing comes last among them;
3. diverged trials (their loss blew up: a bad region, worth avoiding);

with ties broken by trial number. A pruned trial therefore always ranks below every
complete trial, because a complete trial went further (it reached the full budget) and its
final value is not comparable with a value measured at a lower budget. Failed trials (an
exception in the objective) say nothing about the parameters and are ignored, as are
waiting and running ones.

Define-by-run: when an objective asks for a parameter that is not in the joint space (a
conditional branch, or the first trials before any completed), samplers fit that one
parameter on the trials that used it with the same distribution (:func:`history_for`).
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from nntune.space import Beta, Choice, Distribution, Float, Int, Space, same_value
from nntune.trial import FrozenTrial, TrialState

INACTIVE = np.nan
MISSING = object()  # marks a parameter a trial does not have

# Rank-key groups, in order of preference.
_COMPLETE, _PRUNED, _PRUNED_BLIND, _DIVERGED = 0, 1, 2, 3


def signed(value: float, direction: str) -> float:
    """A value as a loss: lower is better whatever the study's direction."""
    return -float(value) if direction == "maximize" else float(value)


def rank_key(trial: FrozenTrial, direction: str, *, consider_pruned: bool = True,
             consider_diverged: bool = True) -> tuple[int, float, float, int] | None:
    """Sort key of ``trial`` under the ranking rule above; ``None`` when it does not count."""
    if trial.state == TrialState.COMPLETE:
        # An infinite value is a value (as in Optuna): the worst, or the best, of the complete
        # trials. Left out, its region looked unexplored and drew every later trial into it.
        if trial.value is None or math.isnan(trial.value):
            return None
        return (_COMPLETE, 0.0, signed(trial.value, direction), trial.number)
    if trial.state == TrialState.PRUNED and consider_pruned:
        steps = {s: v for s, v in trial.intermediate_values.items()
                 if v is not None and math.isfinite(v)}
        if steps:
            last = max(steps)
            return (_PRUNED, -float(last), signed(steps[last], direction), trial.number)
        if trial.value is not None and math.isfinite(trial.value):
            return (_PRUNED, 1.0, signed(trial.value, direction), trial.number)
        return (_PRUNED_BLIND, 0.0, 0.0, trial.number)
    if trial.state == TrialState.DIVERGED and consider_diverged:
        return (_DIVERGED, 0.0, 0.0, trial.number)
    return None


RankKey = tuple[int, float, float, int]


def _keyed(history: Sequence[FrozenTrial], direction: str, consider_pruned: bool,
           consider_diverged: bool) -> list[tuple[RankKey, FrozenTrial]]:
    sign = -1.0 if direction == "maximize" else 1.0
    keyed: list[tuple[RankKey, FrozenTrial]] = []
    for t in history:
        if t.state is TrialState.COMPLETE:  # most of a history: rank_key's first case, inline
            if t.value is not None and not math.isnan(t.value):
                keyed.append(((_COMPLETE, 0.0, sign * float(t.value), t.number), t))
        elif (k := rank_key(t, direction, consider_pruned=consider_pruned,
                            consider_diverged=consider_diverged)) is not None:
            keyed.append((k, t))
    return keyed


def _by_key(kt: tuple[RankKey, FrozenTrial]) -> RankKey:
    return kt[0]


def ranked(history: Sequence[FrozenTrial], direction: str, *, consider_pruned: bool = True,
           consider_diverged: bool = True) -> list[FrozenTrial]:
    """The trials that count, best first (see the module docstring)."""
    keyed = _keyed(history, direction, consider_pruned, consider_diverged)
    keyed.sort(key=_by_key)
    return [t for _, t in keyed]


class RankCache:
    """:func:`ranked` for a history that grows between calls, sorting only what is new.

    The settled prefix of the history (finished trials only, which never change) is kept
    sorted; a later call checks that the history still starts with the very same trial
    objects (storages hand out one object per trial version, so this is a cheap identity
    test) and ranks only the rest. Any other history is ranked from scratch.
    """

    def __init__(self) -> None:
        self._args: tuple[str, bool] | None = None
        self._prefix: list[FrozenTrial] = []
        self._sorted: list[tuple[RankKey, FrozenTrial]] = []

    def ranked(self, history: Sequence[FrozenTrial], direction: str, *,
               consider_pruned: bool = True) -> list[FrozenTrial]:
        args, n = (direction, consider_pruned), len(self._prefix)
        if args != self._args or len(history) < n or \
                not all(a is b for a, b in zip(self._prefix, history[:n])):
            self._args, self._prefix, self._sorted, n = args, [], [], 0
        tail = list(history[n:])
        settle = 0
        while settle < len(tail) and tail[settle].state.is_finished():
            settle += 1
        for kt in _keyed(tail[:settle], direction, consider_pruned, True):
            bisect.insort(self._sorted, kt, key=_by_key)
        self._prefix.extend(tail[:settle])
        rest = _keyed(tail[settle:], direction, consider_pruned, True)
        if not rest:
            return [t for _, t in self._sorted]
        rest.sort(key=_by_key)
        return [t for _, t in heapq.merge(self._sorted, rest, key=_by_key)]


def history_for(name: str, dist: Distribution, history: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Trials that drew ``name`` from exactly ``dist`` (the data for a one-parameter fit)."""
    return [t for t in history if name in t.params and t.distributions.get(name, dist) == dist]


def single(name: str, dist: Distribution) -> Space:
    return Space({name: dist})


_PLAIN = (float, int)  # exact types: bool, a subclass of int, is not a number here


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def unit_column(dist: Distribution, values: Sequence[Any]) -> np.ndarray:
    """``dist.to_unit`` of each value, vectorized; NaN for a value ``dist`` cannot take
    (including the ``MISSING`` marker for an absent parameter)."""
    if isinstance(dist, Choice):
        out = np.full(len(values), INACTIVE)
        cache: dict[tuple[type, Any], float] = {}
        for i, v in enumerate(values):
            key = (type(v), v if isinstance(v, Hashable) else repr(v))
            if key not in cache:
                cache[key] = dist.to_unit(v) if v is not MISSING and dist.contains(v) else INACTIVE
            out[i] = cache[key]
        return out
    x = np.array([v if type(v) in _PLAIN else (float(v) if _is_number(v) else np.nan)  # noqa: E721
                  for v in values], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (x >= dist.low) & (x <= dist.high)
        if isinstance(dist, Int):
            ok &= np.mod(x - dist.low, dist.step) == 0
            if dist.log:
                lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
                u = (np.log(x) - lo) / (hi - lo)
            else:
                u = ((x - dist.low) / dist.step + 0.5) / dist.n_values
        elif isinstance(dist, Float) and dist.step is not None:
            # As Float.to_unit: the centre of the grid value's equal slice.
            last = dist.n_steps - 1
            k = np.where(x == dist.high, last, np.round((x - dist.low) / dist.step))
            u = (np.clip(k, 0, last) + 0.5) / dist.n_steps
        elif isinstance(dist, Beta):
            lo, hi = math.log10(1 - dist.high), math.log10(1 - dist.low)
            r = np.log10(np.maximum(1e-300, 1 - x))
            u = np.full_like(x, 0.5) if hi == lo else np.clip((hi - r) / (hi - lo), 0.0, 1.0)
        elif dist.high == dist.low:
            u = np.full_like(x, 0.5)
        elif dist.log:
            lo, hi = math.log(dist.low), math.log(dist.high)
            u = np.clip((np.log(x) - lo) / (hi - lo), 0.0, 1.0)
        else:
            u = np.clip((x - dist.low) / (dist.high - dist.low), 0.0, 1.0)
    return np.where(ok, u, INACTIVE)


def encode(space: Space, trials: Sequence[FrozenTrial]) -> np.ndarray:
    """Unit-cube coordinates of each trial (rows) per parameter (columns); NaN where the
    parameter is inactive, missing, or holds a value its distribution cannot take."""
    out = np.full((len(trials), len(space)), INACTIVE)
    for j, (name, dist) in enumerate(space.params.items()):
        out[:, j] = unit_column(dist, [t.params.get(name, MISSING) for t in trials])
    return out


class RowCache:
    """:func:`encode` that remembers each trial's row while the space stays the same.

    A row is a pure function of the space and the trial's parameters, so a cached row is
    reused only when the parameters compare equal: a trial whose parameters changed (or a
    trial of the same number from another study) is simply encoded again.
    """

    def __init__(self) -> None:
        self._tables: dict[Hashable, _RowTable] = {}

    def encode(self, space: Space, trials: Sequence[FrozenTrial], slot: Hashable = None) -> np.ndarray:
        """``encode(space, trials)``; ``slot`` keeps one table per use (e.g. per parameter
        name for one-parameter fits), each valid while its space stays the same."""
        table = self._tables.get(slot)
        if table is None or table.space != space:
            table = self._tables[slot] = _RowTable(space)
        return table.encode(trials)


class _RowTable:
    def __init__(self, space: Space) -> None:
        self.space = space
        self.params: dict[int, dict[str, Any]] = {}
        self.rows = np.full((64, len(space)), INACTIVE)  # row i: trial number i

    def encode(self, trials: Sequence[FrozenTrial]) -> np.ndarray:
        params = self.params
        todo = [t for t in trials if params.get(t.number) != t.params]
        if todo:
            top = max(t.number for t in todo)
            if top >= len(self.rows):
                grown = np.full((max(2 * len(self.rows), top + 1), self.rows.shape[1]), INACTIVE)
                grown[: len(self.rows)] = self.rows
                self.rows = grown
            fresh = encode(self.space, todo)
            for t, row in zip(todo, fresh):
                self.rows[t.number] = row
                params[t.number] = dict(t.params)
        return self.rows[[t.number for t in trials]]


def decode_column(dist: Distribution, u: np.ndarray) -> list[Any]:
    return [dist.from_unit(float(x)) for x in u]


def snap(space: Space, u: np.ndarray) -> np.ndarray:
    """Round points of the unit cube (rows) to values the space can take, and mark the
    parameters each point leaves inactive with NaN. ``space.from_unit(row)`` of the result
    gives the same parameters as of the input, and equal parameters give equal rows."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    out = np.empty_like(u)
    parents = {p for cond in space.conditions.values() for p in cond}
    decoded: dict[str, list[Any]] = {}
    for j, (name, dist) in enumerate(space.params.items()):
        col = u[:, j]
        if isinstance(dist, Choice):
            k = len(dist.values)
            out[:, j] = (np.minimum(k - 1, np.floor(col * k)) + 0.5) / k
        elif isinstance(dist, (Int, Float)) and not dist.log and (dist.step is not None):
            k = dist.n_values if isinstance(dist, Int) else dist.n_steps
            out[:, j] = (np.minimum(k - 1, np.floor(col * k)) + 0.5) / k
        elif isinstance(dist, Int):
            out[:, j] = [dist.to_unit(v) for v in decode_column(dist, col)]
        else:
            out[:, j] = col
        if name in parents:
            decoded[name] = decode_column(dist, out[:, j])
    for j, name in enumerate(space.params):
        for parent, allowed in space.conditions.get(name, {}).items():
            pj = list(space.params).index(parent)
            ok = np.array([not math.isnan(out[i, pj]) and any(same_value(v, a) for a in allowed)
                           for i, v in enumerate(decoded[parent])], dtype=bool)
            out[~ok, j] = INACTIVE
    return out


def decode(space: Space, row: np.ndarray) -> dict[str, Any]:
    """Parameters of one snapped row (inactive columns are skipped by the space itself)."""
    return space.from_unit(np.nan_to_num(row, nan=0.5))
