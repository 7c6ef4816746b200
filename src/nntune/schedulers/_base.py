"""The scheduler seam: given a running trial's curve and the history, continue or stop.

A scheduler is a decision over stored data only; it never touches executors, processes or
files. That is what lets one process, several, or several machines share a study.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from nntune.trial import Direction, FrozenTrial


class Decision(str, enum.Enum):
    CONTINUE = "continue"
    STOP = "stop"


@runtime_checkable
class Scheduler(Protocol):
    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        """Whether ``trial``, which just reported ``step``, should go on."""


class NoScheduler:
    """Every trial runs its full budget."""

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        return Decision.CONTINUE

    def __repr__(self) -> str:
        return "NoScheduler()"
