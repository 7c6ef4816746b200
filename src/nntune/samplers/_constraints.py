"""Constraints: ``trial.set_constraint(key, c)`` in the objective (Optuna 5), or a
sampler's ``constraints_func(trial) -> [c1, c2, ...]``, each satisfied when <= 0.

The trial keeps its constraint values in its system attributes (``constraints:<key>``, or
the ``constraints`` list the study stores from a ``constraints_func``; read together by
:func:`~nntune.trial.constraint_values`), and the study hands every sampler a view of the
history in which every infeasible trial ranks below every feasible one, the further from
feasible the lower. So feasible trials are preferred by any sampler that ranks trials
(TPE's good group holds feasible ones first; NSGA-II's elite likewise), and the infeasible
trials stay stored with their values and constraint values.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from nntune.samplers._trial_memo import TrialMemo
from nntune.trial import FrozenTrial, TrialState, constraint_values, meets_constraints

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]


def violation(trial: FrozenTrial) -> float:
    """How far the trial is from feasible: the sum of its positive constraint values (0
    when feasible or without constraint values; see :func:`constraint_violation`)."""
    return constraint_violation(constraint_values(trial.system_attrs).values())


def constraint_violation(values: Iterable[float]) -> float:
    """How far from feasible, as Optuna reads it (``_evaluate_penalty``): the sum of the
    positive constraint values, so -inf adds nothing and +inf makes it infinite. Optuna
    refuses NaN (nntune too, where it stores constraints); one stored otherwise is no known
    distance and counts as the farthest, infinite."""
    total = 0.0
    for v in values:
        if math.isnan(v):
            return math.inf
        if v > 0:
            total += v
    return total


def constrained_dominates(a: tuple[Sequence[float], bool, float], b: tuple[Sequence[float], bool, float]) -> bool:
    """Optuna's constrained domination of complete trials, each given as (values to
    minimize, feasible, violation): a feasible trial beats an infeasible one, of two
    infeasible ones the smaller violation wins, of two feasible ones the one whose values
    dominate (no worse in every objective, and not all equal)."""
    if a[1] and b[1]:
        return tuple(a[0]) != tuple(b[0]) and all(x <= y for x, y in zip(a[0], b[0]))
    if a[1] or b[1]:
        return a[1]
    return a[2] < b[2]


# Read once per finished trial object: the study ranks the whole history through
# constrained_view at every ask, and parsing thousands of trials' constraint attributes
# was most of a large study's ask.
_FEASIBLE: TrialMemo[bool] = TrialMemo(lambda t: meets_constraints(t.system_attrs))


def is_feasible(trial: FrozenTrial) -> bool:
    return _FEASIBLE(trial)


def constrained_view(history: Sequence[FrozenTrial], direction: str) -> list[FrozenTrial]:
    """The history with each infeasible complete trial's value moved past the worst
    feasible one by one plus its violation; feasible and unfinished trials unchanged."""
    complete = [t for t in history if t.state == TrialState.COMPLETE and t.value is not None
                and math.isfinite(t.value)]
    infeasible = {id(t) for t in complete if not is_feasible(t)}
    if not infeasible:
        return list(history)
    feasible = [float(t.value) for t in complete if id(t) not in infeasible]  # type: ignore[arg-type]
    sign = -1.0 if direction == "maximize" else 1.0
    worst = (max(sign * v for v in feasible) if feasible else 0.0)
    out = []
    for t in history:
        if id(t) in infeasible:
            penalty = violation(t)
            t = dataclasses.replace(t, value=sign * (worst + 1.0 + (penalty if math.isfinite(penalty) else 1e12)))
        out.append(t)
    return out


class ConstrainedView(Sequence[FrozenTrial]):
    """:func:`constrained_view` of a history, computed the first time a sampler looks."""

    def __init__(self, history: Sequence[FrozenTrial], direction: str) -> None:
        self._history, self._direction = history, direction
        self._view: list[FrozenTrial] | None = None

    @property
    def directions(self) -> list[str] | None:
        """The objectives' directions of the history this view wraps, where it has them (a
        ``ParetoView``): the ranking here changes values, not what they mean."""
        inner = getattr(self._history, "directions", None)
        return None if inner is None else list(inner)

    def _load(self) -> list[FrozenTrial]:
        if self._view is None:
            self._view = constrained_view(list(self._history), self._direction)
        return self._view

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __iter__(self) -> Iterator[FrozenTrial]:  # not Sequence's, which indexes (and loads) per item
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())
