"""Coarse-to-fine search: search wide, narrow the ranges around the best region, search again.

This is the step procedure of the lecture notes: (0) set each hyperparameter's range,
(1) draw values at random inside it, (2) train briefly and score each on validation data,
(3) after a number of trials look at the results and narrow the ranges; repeat.

Stage ``s`` covers trials ``s * trials_per_stage`` to ``(s + 1) * trials_per_stage - 1``
(the last stage goes on for good). Stage 0 draws from the full space. Stage ``s > 0``
draws from the stage ``s - 1`` space narrowed around the ``top_k`` best trials numbered
before the stage began (:func:`narrow`): each numeric range shrinks to the span of those
trials plus a margin, measured on the parameter's own scale (decades for a log range,
decades of 1 - beta for a Beta), and a Choice keeps the values those trials used. Each
stage's space is a function of the history alone, so :meth:`CoarseToFineSampler.stages_for`
recomputes every stage's ranges for display and storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import independent_draw, independent_draws, resolve_seed
from nntune.samplers._checks import check_count
from nntune.samplers._define_by_run import encode, history_for, ranked, single
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Beta, Choice, Distribution, Float, Int, Space
from nntune.trial import FrozenTrial


def narrow_dist(dist: Distribution, units: np.ndarray, margin: float) -> Distribution:
    """``dist`` narrowed to the unit-scale span of ``units`` widened by ``margin`` (a
    fraction of the current range) on each side. Empty ``units`` leaves it unchanged."""
    if isinstance(dist, Choice) or units.size == 0:
        return dist
    lo = max(0.0, float(units.min()) - margin)
    hi = min(1.0, float(units.max()) + margin)
    if isinstance(dist, Int):
        return Int(dist.from_unit(lo), dist.from_unit(hi), dist.log, dist.step)
    if isinstance(dist, Beta):
        return Beta(dist.from_unit(lo), dist.from_unit(hi))
    assert isinstance(dist, Float)
    # With a step, from_unit rounds to the original grid, so the narrowed range keeps it.
    return Float(dist.from_unit(lo), dist.from_unit(hi), dist.log, dist.step)


def narrow(space: Space, top_trials: Sequence[FrozenTrial], margin: float) -> Space:
    """``space`` narrowed around ``top_trials``: numeric ranges to the trials' span plus
    ``margin`` on their own scale, Choices to the values the trials used (in their original
    order). A parameter no top trial used keeps its range; conditions drop values that no
    longer exist."""
    if not top_trials:
        return space
    units = encode(space, top_trials)
    params: dict[str, Distribution] = {}
    for j, (name, dist) in enumerate(space.params.items()):
        col = units[:, j][~np.isnan(units[:, j])]
        if isinstance(dist, Choice):
            used = {dist.index(t.params[name]) for t in top_trials
                    if name in t.params and dist.contains(t.params[name])}
            kept = tuple(v for i, v in enumerate(dist.values) if i in used)
            params[name] = Choice(kept) if kept else dist
        else:
            params[name] = narrow_dist(dist, col, margin)
    conditions = {name: {parent: [v for v in allowed if params[parent].contains(v)]
                         for parent, allowed in cond.items()}
                  for name, cond in space.conditions.items()}
    return Space(params, conditions)


class CoarseToFineSampler(OptunaMethods):
    """``CoarseToFineSampler(stages=3, trials_per_stage=10, top_k=5, margin=0.1)``: random
    search in a space that narrows ``stages - 1`` times around the best ``top_k`` trials."""

    def __init__(self, seed: int | None = None, stages: int = 3, trials_per_stage: int = 10,
                 top_k: int = 5, margin: float = 0.1) -> None:
        # ConfigError (a ValueError) names the option: a config's bad value is one line.
        self.stages = check_count("stages", stages, 1)
        self.trials_per_stage = check_count("trials_per_stage", trials_per_stage, 1)
        self.top_k = check_count("top_k", top_k, 1)
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0.0 <= margin <= 1.0:
            raise ConfigError("margin", f"must be a fraction of the range in [0, 1], got {margin!r}")
        self.margin = float(margin)
        self.seed = resolve_seed(seed)

    def stage_of(self, number: int) -> int:
        return min(self.stages - 1, number // self.trials_per_stage)

    def spaces(self, space: Space, history: Sequence[FrozenTrial], direction: str,
               up_to: int) -> list[tuple[Space, list[FrozenTrial]]]:
        """The space of each stage ``0..up_to`` with the top trials it was narrowed around."""
        out: list[tuple[Space, list[FrozenTrial]]] = [(space, [])]
        for stage in range(1, up_to + 1):
            before = [t for t in history if t.number < stage * self.trials_per_stage]
            top = ranked(before, direction, consider_pruned=False, consider_diverged=False)[:self.top_k]
            out.append((narrow(out[-1][0], top, self.margin), top))
        return out

    def space_for(self, space: Space, history: Sequence[FrozenTrial], direction: str,
                  number: int) -> Space:
        return self.spaces(space, history, direction, self.stage_of(number))[-1][0]

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        current = self.space_for(space, history, direction, number)
        return independent_draws(current, self.seed, number)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        current = self.space_for(single(name, dist), history_for(name, dist, history), direction, number)
        return independent_draw(self.seed, number, name, current.params[name])

    def stages_for(self, space: Space, history: Sequence[FrozenTrial],
                   direction: str = "minimize") -> list[dict[str, Any]]:
        """Each stage reached so far: its first trial, the trials it was narrowed around
        and its ranges (``Space.to_json``), for storing with the study and printing."""
        last = max((t.number for t in history), default=0)
        result = []
        for stage, (sp, top) in enumerate(self.spaces(space, history, direction, self.stage_of(last))):
            result.append({"stage": stage, "first_trial": stage * self.trials_per_stage,
                           "narrowed_around": [t.number for t in top], "space": sp.to_json()})
        return result

    def __repr__(self) -> str:
        return (f"CoarseToFineSampler(seed={self.seed}, stages={self.stages}, "
                f"trials_per_stage={self.trials_per_stage}, top_k={self.top_k}, margin={self.margin})")
