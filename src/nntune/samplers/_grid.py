"""Grid search: every combination once, in a seeded order.

Note 001 advises against it for more than a parameter or two (25 trials on a 5x5 grid try
only 5 values of the parameter that matters); it is here for small discrete spaces and for
the comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nntune.samplers._base import independent_draw, resolve_seed
from nntune.space import Distribution, Space, grid_from_lists
from nntune.trial import FrozenTrial, TrialState, params_key


class GridSampler:
    """``GridSampler({"lr": [0.1, 0.01], "units": [32, 64]})`` (Optuna style), or
    ``GridSampler(points=5)`` to grid the study's declared space with 5 values per number."""

    def __init__(self, search_space: Mapping[str, Sequence[Any]] | None = None, *,
                 points: int = 5, seed: int | None = None) -> None:
        self.search_space = None if search_space is None else {k: list(v) for k, v in search_space.items()}
        self.points = points
        self.seed = resolve_seed(seed)
        self._grid_cache: tuple[Any, list[dict[str, Any]]] | None = None

    def grid(self, space: Space) -> list[dict[str, Any]]:
        key = id(space) if self.search_space is None else "lists"
        if self._grid_cache is None or self._grid_cache[0] != key:
            points = grid_from_lists(self.search_space) if self.search_space is not None \
                else space.grid(self.points)
            order = np.random.default_rng(self.seed).permutation(len(points))
            self._grid_cache = (key, [points[i] for i in order])
        return self._grid_cache[1]

    def _unused(self, space: Space, history: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
        grid = self.grid(space)
        keys = {k for g in grid for k in g}
        seen = {params_key({k: v for k, v in t.params.items() if k in keys})
                for t in history if t.state != TrialState.WAITING}
        return [g for g in grid if params_key(g) not in seen]

    def is_exhausted(self, space: Space, history: Sequence[FrozenTrial]) -> bool:
        return not self._unused(space, history)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        grid = self.grid(space)
        if not grid:
            return {}
        unused = self._unused(space, history)
        # Running trials are in the history too, so parallel workers take different points.
        return dict(unused[0] if unused else grid[number % len(grid)])

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return independent_draw(self.seed, number, name, dist)

    def __repr__(self) -> str:
        return f"GridSampler(points={self.points}, seed={self.seed})"
