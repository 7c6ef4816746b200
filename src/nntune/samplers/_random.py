"""Random search: every parameter drawn independently on its own scale (note 001)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nntune.samplers._base import independent_draw, independent_draws, resolve_seed
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial


class RandomSampler(OptunaMethods):
    """Draws each parameter from (seed, trial number, parameter name) alone, so trial k gets
    the same values whatever ran before it, in one process or many."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = resolve_seed(seed)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        return independent_draws(space, self.seed, number)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return independent_draw(self.seed, number, name, dist)

    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        """Nothing: every parameter is drawn on its own (as Optuna's random sampler)."""
        return {}

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed})"
