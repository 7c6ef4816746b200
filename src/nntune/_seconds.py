"""``FrozenTrial.duration``: seconds as a plain float (sums, JSON, comparisons with
numbers), which also reads as the ``timedelta`` Optuna's ``duration`` is, so scripts written
for Optuna run on it: ``total_seconds()``, ``days``/``seconds``/``microseconds``, comparisons
with a timedelta, and sums that start from one (``sum(durations, timedelta())``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def _as_number(other: Any) -> Any:
    """``other`` in seconds where it is a timedelta, else as it is."""
    return other.total_seconds() if isinstance(other, timedelta) else other


class Seconds(float):
    """A duration in seconds, a float that answers ``timedelta``'s reads as well."""

    def total_seconds(self) -> float:
        return float(self)

    def _delta(self) -> timedelta:
        return timedelta(seconds=float(self))

    # timedelta's fields, as Optuna's tutorial-style scripts print them (t.duration.seconds)
    @property
    def days(self) -> int:
        return self._delta().days

    @property
    def seconds(self) -> int:
        return self._delta().seconds

    @property
    def microseconds(self) -> int:
        return self._delta().microseconds

    # A comparison with a timedelta (t.duration > timedelta(minutes=5)) raised TypeError.
    def __lt__(self, other: Any) -> bool:
        return float(self) < _as_number(other)

    def __le__(self, other: Any) -> bool:
        return float(self) <= _as_number(other)

    def __gt__(self, other: Any) -> bool:
        return float(self) > _as_number(other)

    def __ge__(self, other: Any) -> bool:
        return float(self) >= _as_number(other)

    def __eq__(self, other: Any) -> bool:
        return float(self) == _as_number(other)

    def __ne__(self, other: Any) -> bool:
        return float(self) != _as_number(other)

    def __hash__(self) -> int:
        return float.__hash__(self)

    # With a timedelta the answer is a timedelta, as Optuna's sum of durations is; with a
    # number it is a number, as before.
    def __add__(self, other: Any) -> Any:
        return self._delta() + other if isinstance(other, timedelta) else float(self) + other

    def __radd__(self, other: Any) -> Any:
        return other + self._delta() if isinstance(other, timedelta) else other + float(self)

    def __sub__(self, other: Any) -> Any:
        return self._delta() - other if isinstance(other, timedelta) else float(self) - other

    def __rsub__(self, other: Any) -> Any:
        return other - self._delta() if isinstance(other, timedelta) else other - float(self)


__all__ = ["Seconds"]
