"""The trial record that flows between storage, samplers, schedulers and reports.

A :class:`FrozenTrial` is plain data: what storage returns and what samplers and schedulers
read. The live, define-by-run ``Trial`` handed to objectives lives in ``nntune._trial``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from nntune.space import Distribution

Direction = Literal["minimize", "maximize"]


class TrialState(str, enum.Enum):
    """How far a trial got. ``waiting`` trials are enqueued and not yet claimed."""

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETE = "complete"
    PRUNED = "pruned"
    FAILED = "failed"
    DIVERGED = "diverged"

    # Optuna spells the failed state FAIL; keep that name working for ported code.
    @classmethod
    def _missing_(cls, value: object) -> TrialState | None:
        return {"fail": cls.FAILED}.get(str(value).lower())

    def is_finished(self) -> bool:
        return self not in (TrialState.WAITING, TrialState.RUNNING)

    def __str__(self) -> str:
        return self.value


TrialState.FAIL = TrialState.FAILED  # type: ignore[attr-defined]

FINISHED_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.DIVERGED)


@dataclass
class FrozenTrial:
    """One trial as stored. ``intermediate_values`` maps a step (epoch) to the reported
    objective value; ``metrics`` holds the full per-step records a trainer reported."""

    number: int
    state: TrialState
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    value: float | None = None
    intermediate_values: dict[int, float] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None
    error: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (``None`` while running)."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return (self.datetime_complete - self.datetime_start).total_seconds()

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def epochs(self) -> int:
        """Epochs trained: the largest reported step, 0 when nothing was reported."""
        return self.last_step or 0

    @property
    def values(self) -> list[float] | None:
        return None if self.value is None else [self.value]


def is_better(a: float, b: float | None, direction: Direction) -> bool:
    """Whether value ``a`` beats ``b`` (``None`` loses to everything)."""
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return not math.isnan(a)
    return a > b if direction == "maximize" else a < b


def validation_loss(t: FrozenTrial) -> float | None:
    """The validation loss at the epoch the trial's value describes: the ``val_loss`` the
    built-in objective stores, else the last per-epoch record with the trial's value."""
    loss = t.user_attrs.get("val_loss")
    if loss is None and t.value is not None:
        loss = next((r.get("val_loss") for r in reversed(t.metrics) if r.get("value") == t.value), None)
    if isinstance(loss, (int, float)) and not isinstance(loss, bool) and math.isfinite(loss):
        return float(loss)
    return None


def tie_break(t: FrozenTrial) -> tuple[float, int, int]:
    """Among trials of equal value: the lower validation loss first (unknown last), then
    fewer epochs, then the lower number."""
    loss = validation_loss(t)
    return (math.inf if loss is None else loss, t.epochs, t.number)


def best_trial(trials: Sequence[FrozenTrial], direction: Direction) -> FrozenTrial | None:
    """The complete trial with the best value; ties go to the lower validation loss, then
    to fewer epochs, then to the lower number."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    top = ranked(complete, direction)
    return top[0] if top else None


def ranked(trials: Sequence[FrozenTrial], direction: Direction) -> list[FrozenTrial]:
    """Trials with a value, best first; at equal value complete trials before pruned ones,
    then :func:`tie_break` (lower validation loss, fewer epochs, lower number)."""
    scored = [t for t in trials if t.value is not None and not math.isnan(t.value)]
    sign = -1.0 if direction == "maximize" else 1.0
    return sorted(scored, key=lambda t: (sign * t.value, t.state != TrialState.COMPLETE, *tie_break(t)))


def counts_by_state(trials: Sequence[FrozenTrial]) -> dict[str, int]:
    out = {s.value: 0 for s in FINISHED_STATES}
    for t in trials:
        if t.state.is_finished():
            out[t.state.value] += 1
    return out


def params_key(params: Mapping[str, Any]) -> str:
    """A canonical string for a parameter set (used to spot repeats)."""
    return repr(sorted((k, float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                       for k, v in params.items()))
