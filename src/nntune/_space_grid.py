"""The grids of a search space: every combination of a :class:`~nntune.space.Space`
(:meth:`Space.grid <nntune.space.Space.grid>`), one parameter's axis, and Optuna's grid given
as lists of values. :mod:`nntune.space` re-exports these names."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from nntune.exceptions import ConfigError

if TYPE_CHECKING:
    from nntune.space import Distribution, Space, Value


def space_grid(space: Space, points: int = 5) -> list[dict[str, Value]]:
    """What :meth:`Space.grid <nntune.space.Space.grid>` returns (its docstring says how the
    combinations are made)."""
    if points < 1:
        raise ConfigError("grid_points", f"must be >= 1, got {points}")
    axes = {name: grid_values(dist, points) for name, dist in space.params.items()}
    combos: list[dict[str, Value]] = [{}]
    for name in space.params:
        nxt: list[dict[str, Value]] = []
        for partial in combos:
            if space.is_active(name, partial):
                nxt.extend({**partial, name: v} for v in axes[name])
            else:
                nxt.append(partial)
        combos = nxt
    return combos


def grid_values(dist: Distribution, points: int) -> list[Value]:
    """The grid axis of one parameter (see :meth:`Space.grid <nntune.space.Space.grid>`)."""
    # Imported here: nntune.space imports this module as it loads.
    from nntune.space import Choice, Float, Int

    if isinstance(dist, Choice):
        return list(dist.values)
    if isinstance(dist, Int) and dist.n_values <= points:
        return [dist.low + k * dist.step for k in range(dist.n_values)]
    if isinstance(dist, Float) and dist.step is not None and dist.n_steps <= points:
        # Every value of a grid no larger than the axis: even spacing would round several
        # points onto one value, and the grid would train the same configuration again.
        return [dist.from_unit((k + 0.5) / dist.n_steps) for k in range(dist.n_steps)]
    if points == 1:
        return [dist.from_unit(0.5)]
    if isinstance(dist, Int):
        # Even spacing on the scale, endpoints included, duplicates from rounding dropped.
        lo, hi = (math.log(dist.low), math.log(dist.high)) if dist.log else (dist.low, dist.high)
        raw = [lo + k * (hi - lo) / (points - 1) for k in range(points)]
        vals = [int(round(math.exp(r))) if dist.log else
                dist.low + int(round((r - dist.low) / dist.step)) * dist.step for r in raw]
        return list(dict.fromkeys(min(dist.high, max(dist.low, v)) for v in vals))
    # Float and Beta: endpoints included, even spacing on the parameter's own scale (one
    # value once: a range of one point is one point).
    return list(dict.fromkeys(dist.from_unit(k / (points - 1)) for k in range(points)))


def grid_size(space: Space, points: int = 5) -> int:
    return len(space.grid(points))


def grid_from_lists(axes: Mapping[str, Sequence[Value]]) -> list[dict[str, Value]]:
    """An Optuna-style grid given as ``{name: [values]}``."""
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(axes[n] for n in names))]
