"""Grid search: every combination once, in a seeded order.

Note 001 advises against it for more than a parameter or two (25 trials on a 5x5 grid try
only 5 values of the parameter that matters); it is here for small discrete spaces and for
the comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nntune._known_values import known_value
from nntune.samplers._base import independent_draw, resolve_seed
from nntune.samplers._checks import check_count
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Distribution, Space, grid_from_lists
from nntune.trial import FrozenTrial, TrialState, params_key


def _fits(name: str, value: Any, space: Space) -> bool:
    """Whether a trial may take the grid's ``value`` as it is: the trial takes a suggested
    value unchecked where the space holds the parameter, so Optuna's rule is applied here. A
    number off the range is kept with a warning; a value off the choices is left out, so the
    trial asks for it (:meth:`GridSampler.sample_independent`) and fails inside the
    objective with Optuna's ValueError, instead of the study's ask leaving it running."""
    dist = space.params.get(name)
    if dist is None:
        return True
    try:
        known_value(name, dist, value, "grid", stacklevel=4)
    except ValueError:
        return False
    return True


def pick_point(grid: Sequence[dict[str, Any]], unused: Sequence[dict[str, Any]], number: int,
               pending: int = 0) -> dict[str, Any]:
    """Trial ``number``'s grid point: the first unused one, skipping one for each of the
    ``pending`` trials numbered below it that were started and have stored no point yet, and
    once none is left its slot of the grid. Running trials count as used, but two workers
    may ask at the same moment, before either has stored its point: the later one sees the
    earlier one pending and leaves it the point it will take (the first unused point for
    every asker handed one point to both)."""
    return unused[pending % len(unused)] if unused else grid[number % len(grid)]


def pending_before(history: Sequence[FrozenTrial], number: int, keys: set[str]) -> int:
    """How many running trials numbered below ``number`` hold none of the grid's parameters."""
    return sum(1 for t in history if t.number < number and t.state == TrialState.RUNNING and not keys & t.params.keys())


class GridSampler(OptunaMethods):
    """``GridSampler({"lr": [0.1, 0.01], "units": [32, 64]})`` (Optuna style), or
    ``GridSampler(points=5)`` to grid the study's declared space with 5 values per number."""

    def __init__(self, search_space: Mapping[str, Sequence[Any]] | None = None, *,
                 points: int = 5, seed: int | None = None) -> None:
        self.search_space = None if search_space is None else {k: list(v) for k, v in search_space.items()}
        self.points = check_count("points", points, 1)
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
        if not len(space) and self.search_space is None and any(t.params for t in history):
            # No parameter is shared by every complete trial (a range changed between runs
            # of a define-by-run study): the grid is unknown, not used up. Its one empty
            # point matches every trial and would end the study after a single trial.
            return False
        return not self._unused(space, history)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        grid = self.grid(space)
        if not grid:
            return {}
        keys = {k for g in grid for k in g}
        point = dict(pick_point(grid, self._unused(space, history), number, pending_before(history, number, keys)))
        if self.search_space is not None:
            point = {k: v for k, v in point.items() if _fits(k, v, space)}
        return point

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
            value = self.suggest(Space({}), seen, number=trial.number, direction=direction)[param_name]
            # As Optuna's: a value off the choices is a ValueError, a number off the range a warning.
        
            return known_value(param_name, param_distribution, value, "grid", stacklevel=3)
        return super().sample_independent(study, trial, param_name, param_distribution)

    def __repr__(self) -> str:
        return f"GridSampler(points={self.points}, seed={self.seed})"
