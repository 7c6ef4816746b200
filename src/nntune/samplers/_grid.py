"""Grid search: every combination once, in a seeded order.

Note 001 advises against it for more than a parameter or two (25 trials on a 5x5 grid try
only 5 values of the parameter that matters); it is here for small discrete spaces and for
the comparison.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nntune import logging as _logging
from nntune._known_values import checked_value, known_value
from nntune._stored_value import as_stored
from nntune.exceptions import ConfigError
from nntune.samplers._base import independent_draw, queued, resolve_seed
from nntune.samplers._checks import check_count
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.search_space import infer_space
from nntune.space import Distribution, Space, grid_from_lists
from nntune.storage._base import CLAIM
from nntune.trial import FrozenTrial, TrialState, params_key

_log = _logging.get_logger("nntune.samplers")
# A trial's system attribute: a grid handed it a point (Optuna's grid marks its own trials
# with a grid id). Only such trials use points up: one run with another sampler before the
# grid took over, or added or enqueued, took none, however its parameters fall.
GRID_TRIAL = "grid"


def _fits(name: str, value: Any, space: Space) -> bool:
    """Whether a trial may take the grid's ``value`` as it is: the trial takes a suggested
    value unchecked where the space holds the parameter with the distribution it asks. A
    value that is off that distribution (off the choices, off the range, not an integer) is
    left out, so the trial asks for it (:meth:`GridSampler.sample_independent`) and Optuna's
    rule is applied against the distribution the objective asks now: a ValueError inside
    the objective, or a warning. Checked here against the space inferred from earlier
    trials, a range widened since warned of a value that is inside the new range."""
    dist = space.params.get(name)
    if dist is None:
        return True
    try:  # asked, not warned: a trial's warnings said again and again is what catching them cost
        return checked_value(name, dist, value, "grid")[1] is None
    except ValueError:
        return False


def pick_point(grid: Sequence[dict[str, Any]], unused: Sequence[dict[str, Any]], number: int,
               pending: int = 0) -> dict[str, Any]:
    """Trial ``number``'s grid point: the first unused one, skipping one for each of the
    ``pending`` trials numbered below it that were started and have stored no point yet, and
    once none is left its slot of the grid. Running trials count as used, but two workers
    may ask at the same moment, before either has stored its point: the later one sees the
    earlier one pending and leaves it the point it will take (the first unused point for
    every asker handed one point to both)."""
    return unused[pending % len(unused)] if unused else grid[number % len(grid)]


def used_points(grid: Sequence[dict[str, Any]], history: Sequence[FrozenTrial]) -> set[int]:
    """The indices of the grid points the trials a grid handed a point took, one point per
    trial, as Optuna counts them. A trial stores only the parameters its objective asked for: one that left
    a grid parameter unasked (``filters`` only for a CNN) matches every point that agrees
    on the ones it asked, and takes the first of them not taken yet. Matching whole points
    left such a point untaken for ever, and every later trial repeated it."""
    keys = sorted({k for g in grid for k in g})
    indexes: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, list[int]]] = {}
    used: set[int] = set()
    for t in sorted(history, key=lambda t: t.number):
        asked = tuple(k for k in keys if k in t.params)
        if t.state == TrialState.WAITING or not t.system_attrs.get(GRID_TRIAL):
            continue
        if keys and not asked:  # asked nothing of the grid
            if not t.params and t.state != TrialState.RUNNING:
                # Ran and finished without asking anything (its objective failed first, or
                # asks no grid parameter): it took the first free point, as Optuna's grid
                # counts it. Left free, that point was handed out again for ever.
                free = next((i for i in range(len(grid)) if i not in used), None)
                if free is not None:
                    used.add(free)
            continue
        # A trial stores a grid's value in its distribution's form (0.5 asked as an integer
        # as 0, "0.5" asked as a float as 0.5): the points are matched in that form, or the
        # point it took stayed unused and was handed out again.
        dists = tuple(t.distributions.get(k) for k in asked)
        shape = (asked, tuple(map(repr, dists)))
        if shape not in indexes:  # built once per set of asked names and their distributions
            index: dict[str, list[int]] = {}
            for i, g in enumerate(grid):
                if all(k in g for k in asked):
                    index.setdefault(params_key({k: as_stored(d, g[k]) for k, d in zip(asked, dists)}), []).append(i)
            indexes[shape] = index
        for i in indexes[shape].get(params_key({k: t.params[k] for k in asked}), ()):
            if i not in used:
                used.add(i)
                break
    return used


def pending_before(history: Sequence[FrozenTrial], number: int, keys: set[str]) -> int:
    """How many running trials numbered below ``number`` hold none of the grid's parameters
    yet and will take a point: those a grid handed one, and those not marked yet, unless
    enqueued. A trial is claimed first and marked (:meth:`GridSampler.before_trial`) a moment
    later: another process asking in between saw it unmarked, took the point it was about to
    take, and the grid ran that point twice. One counted here that takes none (another
    sampler's) only leaves its point to the next ask."""
    return sum(1 for t in history if t.number < number and t.state == TrialState.RUNNING
               and (t.system_attrs.get(GRID_TRIAL) or "fixed_params" not in t.system_attrs)
               and not keys & t.params.keys())


def grid_lists(search_space: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """``search_space`` as lists of values, each checked here in one line naming the
    parameter: an empty list would make an empty grid that ends the study before its first
    trial, a lone number has no values to iterate, and a string would be its characters."""
    if not isinstance(search_space, Mapping):
        raise ConfigError("search_space", f"must map parameter names to lists of values, got {search_space!r}")
    out = {}
    for name, values in search_space.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ConfigError(str(name), f"the grid's values must be a list, got {values!r}")
        # numpy's scalars (np.linspace, np.arange) as Python's: a stored trial holds Python
        # values, and np.int64(1) or np.str_("a") never matched them, so no point was used up.
        out[str(name)] = [v.item() if isinstance(v, np.generic) else v for v in values]
        if not out[str(name)]:
            raise ConfigError(str(name), "the grid's list of values is empty; give at least one value")
        if any(isinstance(v, float) and math.isnan(v) for v in out[str(name)]):
            # As Optuna's suggest refuses NaN: no trial can take it (a float trial would run
            # with it and diverge, an integer one fail, a choice never match it).
            raise ConfigError(str(name), f"the grid's values include NaN, which no trial can take, "
                                         f"got {out[str(name)]!r}")
    return out


class GridSampler(OptunaMethods):
    """``GridSampler({"lr": [0.1, 0.01], "units": [32, 64]})`` (Optuna style), or
    ``GridSampler(points=5)`` to grid the study's declared space with 5 values per number."""

    def __init__(self, search_space: Mapping[str, Sequence[Any]] | None = None, seed: int | None = None, *,
                 points: int = 5) -> None:  # Optuna's order: GridSampler(search_space, seed)
        self.search_space = None if search_space is None else grid_lists(search_space)
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
        used = used_points(grid, history)
        return [g for i, g in enumerate(grid) if i not in used]

    def is_exhausted(self, space: Any, history: Sequence[FrozenTrial] | None = None) -> bool:
        """Whether the grid has nothing left to run: every point tried and no enqueued trial
        waiting. Optuna's ``is_exhausted(study)`` is answered too: every point tried."""
        if history is None:  # Optuna's is_exhausted(study)
            study, trials = space, list(space.get_trials(deepcopy=False))
            declared = getattr(study, "space", None)
            return self._tried_all(declared if isinstance(declared, Space) else infer_space(trials), trials)
        # An enqueued trial still runs, as Optuna's optimize runs it before it stops: one
        # enqueued after the grid was done waited for ever while optimize returned at once.
        return not queued(history) and self._tried_all(space, history)

    def _tried_all(self, space: Space, history: Sequence[FrozenTrial]) -> bool:
        if not len(space) and self.search_space is None and any(t.params for t in history):
            # No parameter is shared by every complete trial (a range changed between runs
            # of a define-by-run study): the grid is unknown, not used up. Its one empty
            # point matches every trial and would end the study after a single trial.
            return False
        return not self._unused(space, history)

    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        """Mark the trial as one this grid hands a point, as Optuna's grid gives it a grid id:
        not an enqueued one (it runs its own parameters) nor one already marked (re-run)."""
        super().before_trial(study, trial)
        if GRID_TRIAL in trial.system_attrs or "fixed_params" in trial.system_attrs:
            return
        study.storage.set_trial_system_attr(study.id, trial.number, GRID_TRIAL, True,
                                            claim=trial.system_attrs.get(CLAIM))
        trial.system_attrs[GRID_TRIAL] = True

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        return self._point(space, history, number, warn=True)

    def _point(self, space: Space, history: Sequence[FrozenTrial], number: int, *, warn: bool) -> dict[str, Any]:
        grid = self.grid(space)
        if not grid:
            return {}
        keys = {k for g in grid for k in g}
        unused = self._unused(space, history)
        if not unused and warn:
            # optimize stops once every point is tried; an ask past that (ask-and-tell, a
            # process sharing the study) repeats a point, which Optuna's grid says too.
            _log.warning("GridSampler is re-evaluating a configuration because the grid has been exhausted "
                         "(trial %d takes a point already tried)", number)
        point = dict(pick_point(grid, unused, number, pending_before(history, number, keys)))
        if self.search_space is not None:
            point = {k: v for k, v in point.items() if _fits(k, v, space)}
        return point

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        if self.search_space is not None and name in self.search_space:
            # The trial's point, checked against the distribution asked (a value that did not
            # fit the earlier trials' one was left out of suggest's point): as Optuna's, a
            # value off the choices is a ValueError, a number off the range a warning.
            value = self._point(Space({}), history, number, warn=False)[name]
            return known_value(name, dist, value, "grid", stacklevel=4)
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
            value = self._point(Space({}), seen, trial.number, warn=False)[param_name]
            # As Optuna's: a value off the choices is a ValueError, a number off the range a warning.
            return known_value(param_name, param_distribution, value, "grid", stacklevel=3)
        return super().sample_independent(study, trial, param_name, param_distribution)

    def __repr__(self) -> str:
        return f"GridSampler(points={self.points}, seed={self.seed})"
