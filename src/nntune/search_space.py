"""The parameters several trials share: the joint space a study infers for define-by-run
objectives (``infer_space``), and Optuna's ``intersection_search_space`` for samplers
users write (``BaseSampler.infer_relative_search_space``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState


def intersection_search_space(trials: Sequence[FrozenTrial], include_pruned: bool = False) -> dict[str, Distribution]:
    """The parameters every complete trial (and pruned one, with ``include_pruned``) drew
    from the same distribution, in name order."""
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    common: dict[str, Distribution] | None = None
    for t in trials:
        if t.state not in states:
            continue
        if common is None:
            common = dict(t.distributions)
        else:
            common = {k: d for k, d in common.items() if t.distributions.get(k) == d}
    return dict(sorted((common or {}).items()))


def infer_space(history: Sequence[FrozenTrial]) -> Space:
    """The parameters every complete trial shares with the same distribution (define-by-run)."""
    return InferredSpace().update(history)


class InferredSpace:
    """:func:`infer_space`, kept up to date as trials complete: a complete trial never
    changes its distributions, so each is folded in once rather than at every ask."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._common: dict[str, Distribution] | None = None
        self._space = Space({})
        self._settled = 0  # history[:_settled] holds finished trials only: no need to look again

    def update(self, history: Sequence[FrozenTrial]) -> Space:
        changed = False
        if self._settled > len(history):  # another (shorter) history than before
            self._settled = 0
        start = self._settled
        for i in range(start, len(history)):
            t = history[i]
            if i == self._settled and t.state.is_finished():
                self._settled += 1
            if t.state != TrialState.COMPLETE or t.number in self._seen:
                continue
            self._seen.add(t.number)
            if self._common is None:
                self._common = dict(t.distributions)
            else:
                self._common = {k: d for k, d in self._common.items() if t.distributions.get(k) == d}
            changed = True
        if changed:
            self._space = Space(dict(self._common or {}))
        return self._space


class IntersectionSearchSpace:
    """``IntersectionSearchSpace().calculate(study)``: the intersection over the study's trials."""

    def __init__(self, include_pruned: bool = False) -> None:
        self.include_pruned = include_pruned

    def calculate(self, study: Any, use_cache: bool = False) -> dict[str, Distribution]:
        """The intersection over the study's trials. ``use_cache`` is Optuna's (its TPE passes
        it positionally); the trials are read afresh either way."""
        return intersection_search_space(study.get_trials(deepcopy=False), self.include_pruned)


__all__ = ["InferredSpace", "IntersectionSearchSpace", "infer_space", "intersection_search_space"]
