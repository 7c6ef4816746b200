"""A stack's members as plain data: what each slot holds beside the stacked weights (its
settings, batch order, lr clock, early stopping, records), and the result it ends with."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from nntune.train.epochs import EarlyStopping
from nntune.train.loop import FitResult
from nntune.train.optim import LrSchedule, build_optimizer

StackReport = Callable[[Hashable, int, dict], bool]


@dataclass
class StackResult(FitResult):
    """:class:`~nntune.train.loop.FitResult` of one member; ``diverged`` holds the message
    when its loss became NaN or infinite (at epoch ``epochs``)."""

    diverged: str | None = None
    key: Hashable = None


class _Clock(nn.Module):
    """One 2-D parameter: a solo optimizer built on it has one param group with decay on,
    so it carries a member's settings and its lr schedule exactly as ``fit`` computes them."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, 1))


def clock_for(hp: Mapping[str, Any]) -> tuple[torch.optim.Optimizer, LrSchedule]:
    """A member's solo optimizer (on a :class:`_Clock`) and its lr schedule."""
    clock = build_optimizer(_Clock(), hp)
    schedule = LrSchedule(clock, hp, hp["epochs"])
    clock._opt_called = True  # type: ignore[attr-defined]  # it never steps: only its lr is read
    return clock, schedule


@dataclass
class Member:
    key: Hashable
    hp: dict[str, Any]
    seed: int
    batch_gen: torch.Generator
    clock: torch.optim.Optimizer
    schedule: LrSchedule
    stopping: EarlyStopping
    l1: float
    history: list[dict[str, Any]] = field(default_factory=list)
    epoch: int = 0
    iterations: int = 0
    best_state: dict[str, Tensor] | None = None
    stopped_by_report: bool = False
    stopped_early: bool = False
    diverged: str | None = None
    spare: nn.Module | None = None  # the solo model its weights came from, reused once for its result
