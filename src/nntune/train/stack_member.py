"""A stack's members as plain data: what each slot holds beside the stacked weights (its
settings, batch order, lr clock, early stopping, records), and the result it ends with."""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from nntune.exceptions import ConfigError
from nntune.train.epochs import EarlyStopping, stopping_settings
from nntune.train.loop import FitResult
from nntune.train.models import dropout_rate
from nntune.train.optim import LrSchedule, build_optimizer, init_weights, number
from nntune.train.stack_optim import member_hyperparams

StackReport = Callable[[Hashable, int, dict], bool]
SEED_LIMIT = 2**64  # torch's generators take seeds in [0, 2**64)


def as_int(value: Any) -> int | None:
    """``value`` as a Python int when it is an integer (numpy's too), else None (a bool, a float)."""
    try:
        return None if isinstance(value, bool) else operator.index(value)
    except TypeError:
        return None


def member_seed(seed: Any) -> int:
    """``seed`` as a Python int (numpy's integers too, as ``fit`` takes them), or a
    ConfigError naming it: a float, a bool or a number out of the generators' range."""
    value = as_int(seed)
    if value is None or not 0 <= value < SEED_LIMIT:
        raise ConfigError("seed", f"must be an integer in [0, 2**64), got {seed!r}")
    return value


def positive_count(field: str, value: Any) -> int:
    """``value`` as an int >= 1 (numpy's integers too), or a ConfigError naming ``field``."""
    count = as_int(value)
    if count is None or count < 1:
        raise ConfigError(field, f"must be an integer >= 1, got {value!r}")
    return count


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


@dataclass(frozen=True)
class Settings:
    """What a member's params give each of its slot's per-member tensors."""

    optimizer: dict[str, float]
    dropout: float
    l1: float
    huber_delta: float


def member_settings(hp: Mapping[str, Any], clock: torch.optim.Optimizer) -> Settings:
    """The per-slot values of a member of ``hp`` whose solo optimizer is ``clock``, each
    checked as ``fit`` checks it (a ConfigError naming the value refused)."""
    return Settings(member_hyperparams(clock, number(hp, "grad_clip", 0.0)), dropout_rate(hp),
                    number(hp, "l1", 0.0), number(hp, "huber_delta", 1.0))


def check_member(hp: Mapping[str, Any]) -> None:
    """Refuse, as :meth:`~nntune.train.stack.Stack.add` would, a member whose settings, lr
    schedule, initializer or early stopping ``fit`` cannot take, before any stack trains."""
    member_settings(hp, clock_for(hp)[0])
    init_weights(_Clock(), hp)  # the scheme and its std; a clock has no layer to fill
    stopping_settings(hp)  # as fit reads them


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
    stopped_early: bool = False  # set by change_params too: the next run_epoch then ends it untrained
    diverged: str | None = None
    spare: nn.Module | None = None  # the solo model its weights came from, reused once for its result
