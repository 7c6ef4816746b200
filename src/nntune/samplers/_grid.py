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
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Distribution, Space, grid_from_lists
from nntune.trial import FrozenTrial, TrialState, params_key


class GridSampler(OptunaMethods):
    """``GridSampler({"lr": [0.1, 0.01], "units": [32, 64]})`` (Optuna style), or
    ``GridSampler(points=5)`` to grid the study's declared space with 5 values per number."""

    def __init__(self, search_space: Mapping[str, Sequence[Any]] | None = None, *,
                 points: int = 5, seed: int | None = None) -> None:
        self.search_space = None if search_space is None else {k: list(v) for k, v in search_space.items()}
        self.points = points
        self.seed = resolve_seed(seed)
        self._grid_cache: tuple[Any, list[dict[str, Any]]] | None = None

    def grid(self, space: Space) -> list[dict[str, Any]]:
        # Keyed by the space's value, not its id: a space built for one call (Optuna's
        # sample_relative) is freed after it, and a later one may reuse its id.
        key: Any = space if self.search_space is None else "lists"
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
        if self.search_space is not None:  # a grid of given values: a parameter off it is a mistake
            raise ValueError(f"{name}: not in the grid (its parameters: {', '.join(self.search_space)}); "
                             "add its values to the GridSampler's search_space")
        return independent_draw(self.seed, number, name, dist)

    # As Optuna's grid sampler: a grid of given values has no joint space to infer, and a
    # parameter of the grid takes its value in the trial's grid point when asked by name.
    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        return {} if self.search_space is not None else super().infer_relative_search_space(study, trial)

    def sample_independent(self, study: Any, trial: FrozenTrial, param_name: str,
                           param_distribution: Distribution) -> Any:
        if self.search_space is not None and param_name in self.search_space:
            seen, direction = self._history(study)
            return self.suggest(Space({}), seen, number=trial.number, direction=direction)[param_name]
        return super().sample_independent(study, trial, param_name, param_distribution)

    def __repr__(self) -> str:
        return f"GridSampler(points={self.points}, seed={self.seed})"
