"""The sampler seam: a pure choice of parameters from (space, history, seed, trial number).

A sampler never touches storage or the study. It is handed the declared (or inferred)
space and the trials so far, and returns parameters. Each trial's randomness comes from
``trial_rng(seed, number)``, so the same seed gives the same suggestions however many
workers share the study and in whatever order they finish.
"""

from __future__ import annotations

import operator
import secrets
import zlib
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState


@runtime_checkable
class Sampler(Protocol):
    seed: int

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        """Parameters for trial ``number`` over ``space`` (joint, may use the history)."""

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        """A value for a parameter outside the joint space (define-by-run, first seen)."""


def resolve_seed(seed: int | None) -> int:
    """A fixed seed, or a fresh one drawn once so later draws are still reproducible from it.
    A seed that is not an integer is refused: ``1.5`` would quietly be seed 1 and ``"abc"``
    a ValueError from ``int``."""
    if seed is None:
        return secrets.randbits(31)
    try:
        if isinstance(seed, bool):
            raise TypeError
        return operator.index(seed)
    except TypeError:
        from nntune.exceptions import ConfigError

        raise ConfigError("seed", f"must be an integer, got {seed!r}") from None


def trial_rng(seed: int, number: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(number), *salt])


def name_salt(name: str) -> int:
    """A stable integer for a parameter name (Python's hash() changes between runs)."""
    return zlib.crc32(name.encode())


_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix64(x: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers in which every input bit
    flips about half of the output bits."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def keyed_uniform(*key: int) -> float:
    """A uniform number in [0, 1) that is a pure function of the integers ``key``.

    A counter-based generator: hashing (seed, trial, parameter) costs about a microsecond,
    where building a numpy Generator for one draw costs twenty, and it needs no state.
    """
    h = 0
    for part in key:
        h = _mix64((h + (int(part) & _MASK64) + _GOLDEN) & _MASK64)
    return (h >> 11) * (1.0 / (1 << 53))


def independent_draw(seed: int, number: int, name: str, dist: Distribution) -> Any:
    """A uniform draw on the parameter's own scale, reproducible per (seed, trial, name)."""
    return dist.from_unit(keyed_uniform(seed, number, name_salt(name)))


def independent_draws(space: Space, seed: int, number: int, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """``given`` completed with an :func:`independent_draw` for every other parameter of
    ``space`` that is active, in the space's order (a parent decides its children)."""
    out = dict(given or {})
    for name, dist in space.params.items():
        if name not in out and space.is_active(name, out):
            out[name] = independent_draw(seed, number, name, dist)
    return out


def finished(history: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Trials whose outcome is known (complete with a value); samplers learn from these."""
    return [t for t in history if t.state == TrialState.COMPLETE and t.value is not None]


def queued(history: Sequence[FrozenTrial]) -> bool:
    """Whether an enqueued trial waits to run: a sampler that can run out (a grid, brute
    force) is not done while one does, since the study runs it without asking the sampler."""
    return any(t.state == TrialState.WAITING for t in history)
