"""Priors: start the search where a practitioner would start by hand, and keep drawing near there.

A prior names, for some parameters, the value one would try first: Adam's learning rate
of 1e-3 and beta2 of 0.999, two hidden layers of 128 units (the built-in trainer's own
defaults, ``search.default_priors``), or what the user knows of the task. ``PriorSampler`` wraps
any sampler:

- trial 0 takes every prior's value exactly, the baseline (KerasTuner likewise runs its
  defaults first);
- every later trial is, with probability ``weight``, a prior draw: each parameter with a
  prior is drawn from a normal around it on the parameter's own scale (the unit interval
  of ``Distribution.to_unit``, standard deviation ``spread``, truncated to the interval),
  and a Choice keeps its prior value with the mass that normal puts on one value's slice;
  the parameters without a prior come from the wrapped sampler;
- the other trials are the wrapped sampler's own, and it learns from every finished
  trial, prior draws included.

Right priors put many early trials in the good region, which is where a short budget is
won; wrong ones cost at most the share ``weight`` of the trials, and less under
successive halving, which stops a bad draw at its first rung (PriorBand, Mallik et al.
2023, measures both on deep-learning tasks). Whether trial k is a prior draw, and the
draw itself, are keyed on (seed, k), so every worker of a study agrees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from scipy.special import ndtr, ndtri

from nntune.exceptions import ConfigError
from nntune.samplers._base import Sampler, independent_draw, keyed_uniform, name_salt
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Choice, Distribution, Space, Value
from nntune.trial import FrozenTrial

_WHICH = 0x5052  # salts of the keyed draws: whether a trial draws from the prior ...
_DRAW = 0x4452  # ... and the draw of one parameter
_CHOICE = 0x4348


def keep_probability(n_values: int, spread: float) -> float:
    """The chance a prior draw keeps a Choice's prior value: the mass a normal of sd ``spread``
    around the value's slice centre puts on the slice (width 1 / n_values), and never less
    than a uniform draw's 1 / n_values."""
    if n_values <= 1:
        return 1.0
    return max(1.0 / n_values, float(2.0 * ndtr(1.0 / (2.0 * n_values * spread)) - 1.0))


def draw_near(dist: Distribution, prior: Value, spread: float, u1: float, u2: float) -> Value:
    """One value drawn near ``prior`` from two uniforms in [0, 1): a truncated normal on the
    unit interval for numbers; for a Choice the prior value, or another one evenly."""
    if isinstance(dist, Choice):
        if len(dist.values) == 1 or u1 < keep_probability(len(dist.values), spread):
            return prior
        others = [v for v in dist.values if dist.index(v) != dist.index(prior)]
        return others[min(len(others) - 1, int(u2 * len(others)))]
    centre = dist.to_unit(prior)
    # Inverse CDF of N(centre, spread) truncated to [0, 1].
    lo, hi = ndtr((0.0 - centre) / spread), ndtr((1.0 - centre) / spread)
    p = min(max(lo + u1 * (hi - lo), 1e-300), 1.0 - 1e-16)
    return dist.from_unit(min(1.0, max(0.0, centre + spread * float(ndtri(p)))))


def check_priors(space: Space, priors: Mapping[str, Value]) -> None:
    """A prior for a parameter of ``space`` must be one of its values."""
    for name, value in priors.items():
        dist = space.params.get(name)
        if dist is not None and not dist.contains(value):
            raise ConfigError(f"space.{name}.prior", f"{value!r} lies outside the space's {name}")


class PriorSampler(OptunaMethods):
    """``base``'s suggestions, with a share ``weight`` of the trials drawn near ``priors``
    (``{name: value}``) and trial 0 at the priors exactly (see the module's docstring)."""

    def __init__(self, base: Sampler, priors: Mapping[str, Value], *, weight: float = 0.5,
                 spread: float = 0.15) -> None:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
            raise ConfigError("prior_weight", f"must lie in [0, 1], got {weight!r}")
        if isinstance(spread, bool) or not (isinstance(spread, (int, float)) and math.isfinite(spread) and spread > 0):
            raise ConfigError("prior_spread", f"must be a number > 0, got {spread!r}")
        from nntune.samplers._grid import GridSampler

        if isinstance(base, GridSampler):  # as search.sampler: grid with priors in a config
            raise ConfigError("priors", "a grid runs every point in order; priors need a sampler that draws "
                                        "(random, tpe, gp, ...)")
        self.base, self.priors = base, dict(priors)
        self.weight, self.spread = float(weight), float(spread)
        self.seed = base.seed

    def __getattr__(self, name: str) -> Any:
        """The base's other settings (``constraints_func``, ``is_exhausted``, ...), so the
        study finds them through the wrapper: a constrained TPE's constraints were lost."""
        if name in ("base", "priors", "weight", "spread"):
            raise AttributeError(name)
        return getattr(self.base, name)

    def from_prior(self, number: int) -> bool:
        """Whether trial ``number`` is a prior draw (trial 0 always is)."""
        return number == 0 or keyed_uniform(self.seed, number, _WHICH) < self.weight

    def _value(self, name: str, dist: Distribution, number: int) -> Value:
        prior = self.priors[name]
        if number == 0:
            return prior
        key = (self.seed, number, name_salt(name))
        return draw_near(dist, prior, self.spread, keyed_uniform(*key, _DRAW), keyed_uniform(*key, _CHOICE))

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        proposal = self.base.suggest(space, history, number=number, direction=direction)
        if not self.from_prior(number):
            return proposal
        check_priors(space, self.priors)
        # In order, so that a prior on a parent (the optimizer) decides which children exist.
        out: dict[str, Any] = {}
        for name, dist in space.params.items():
            if not space.is_active(name, out):
                continue
            if name in self.priors:
                out[name] = self._value(name, dist, number)
            elif name in proposal:
                out[name] = proposal[name]
            else:  # a child the prior's parent activated and the proposal did not have
                out[name] = independent_draw(self.seed, number, name, dist)
        return out

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        if name in self.priors and self.from_prior(number):
            check_priors(Space({name: dist}), {name: self.priors[name]})
            return self._value(name, dist, number)
        return self.base.suggest_one(name, dist, history, number=number, direction=direction)

    def __repr__(self) -> str:
        return f"PriorSampler({self.base!r}, priors={self.priors}, weight={self.weight}, spread={self.spread})"

