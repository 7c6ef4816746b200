"""Samplers Optuna users name: a base class for their own, partial fixing, brute force.

``BaseSampler`` is Optuna's interface for a sampler written by a user: it is handed the
study and the trial (``infer_relative_search_space``, ``sample_relative``,
``sample_independent``), as in Optuna, and the study calls it through those. nntune's own
samplers keep the narrower seam of ``_base.py`` (space and history in, parameters out);
``PartialFixedSampler`` and ``BruteForceSampler`` are such samplers.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import name_salt, resolve_seed, trial_rng
from nntune.samplers._optuna_methods import OptunaMethods, asked_like_optuna
from nntune.space import Choice, Distribution, Float, Int, Space, Value
from nntune.trial import FrozenTrial, TrialState, params_key


class BaseSampler(abc.ABC):
    """Subclass with Optuna's three methods; ``study`` is the nntune study, ``trial`` the
    running trial as a :class:`~nntune.trial.FrozenTrial`, distributions nntune's (which
    are Optuna's by name: ``nntune.distributions``)."""

    seed: int | None = None

    @abc.abstractmethod
    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        """The parameters to draw together (``{}`` for none)."""

    @abc.abstractmethod
    def sample_relative(self, study: Any, trial: FrozenTrial,
                        search_space: dict[str, Distribution]) -> dict[str, Any]:
        """Values for ``search_space``, drawn together."""

    @abc.abstractmethod
    def sample_independent(self, study: Any, trial: FrozenTrial, param_name: str,
                           param_distribution: Distribution) -> Any:
        """A value for one parameter outside the relative space."""

    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        """Called as a trial starts."""

    def after_trial(self, study: Any, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        """Called as a trial ends."""

    def reseed_rng(self) -> None:
        """Called when threads share the sampler (nntune's own samplers need no reseeding)."""


class PartialFixedSampler(OptunaMethods):
    """``PartialFixedSampler({"units": 128}, base_sampler)``: ``units`` is always 128, the
    other parameters are ``base_sampler``'s choice over the rest of the space.

    The base is one of nntune's samplers or one written for Optuna (a ``BaseSampler``
    subclass): for the latter the study asks through Optuna's methods, as it would ask the
    base itself. Either way the base hears ``before_trial`` and ``after_trial``."""

    def __new__(cls, fixed_params: Mapping[str, Any], base_sampler: Any) -> PartialFixedSampler:
        if cls is PartialFixedSampler and asked_like_optuna(base_sampler, "sample_relative"):
            cls = _PartialFixedOptunaSampler
        return super().__new__(cls)

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: Any) -> None:
        self.fixed_params = dict(fixed_params)
        self.base_sampler = base_sampler
        self.seed = getattr(base_sampler, "seed", None)

    # A base of nntune's own sampler protocol may have none of these three.
    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        hook = getattr(self.base_sampler, "before_trial", None)
        if hook is not None:
            hook(study, trial)

    def after_trial(self, study: Any, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        hook = getattr(self.base_sampler, "after_trial", None)
        if hook is not None:
            hook(study, trial, state, values)

    def reseed_rng(self) -> None:
        hook = getattr(self.base_sampler, "reseed_rng", None)
        if hook is not None:
            hook()

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        free = Space({k: d for k, d in space.params.items() if k not in self.fixed_params},
                     {k: c for k, c in space.conditions.items()
                      if k not in self.fixed_params and not set(c) & set(self.fixed_params)})
        out = dict(self.base_sampler.suggest(free, history, number=number, direction=direction))
        out.update({k: v for k, v in self.fixed_params.items() if k in space.params})
        return out

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        if name in self.fixed_params:
            return self.fixed_params[name]
        return self.base_sampler.suggest_one(name, dist, history, number=number, direction=direction)

    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        """The base's joint space less the fixed parameters, as Optuna's (``sample_independent``
        gives those)."""
        infer = getattr(self.base_sampler, "infer_relative_search_space", None)
        space = infer(study, trial) if infer is not None else super().infer_relative_search_space(study, trial)
        return {k: d for k, d in space.items() if k not in self.fixed_params}

    def __repr__(self) -> str:
        return f"PartialFixedSampler({self.fixed_params!r}, {self.base_sampler!r})"


def discrete_values(name: str, dist: Distribution) -> list[Value]:
    """Every value of a discrete distribution; a float range needs a step."""
    if isinstance(dist, Choice):
        return list(dist.values)
    if isinstance(dist, Int):
        if dist.log:
            return list(range(dist.low, dist.high + 1))
        return list(range(dist.low, dist.high + 1, dist.step))
    if isinstance(dist, Float) and dist.step is not None:
        n = int(round((dist.high - dist.low) / dist.step)) + 1
        return [min(dist.high, dist.low + i * dist.step) for i in range(n)]
    raise ConfigError(name, f"brute force needs a discrete distribution (choices, integers or a float "
                            f"with a step), got {dist!r}")


def _tried(history: Sequence[FrozenTrial], names: Sequence[str]) -> set[str]:
    return {params_key({k: t.params[k] for k in names if k in t.params})
            for t in history if t.state != TrialState.WAITING}


class _PartialFixedOptunaSampler(PartialFixedSampler):
    """:class:`PartialFixedSampler` over a sampler written for Optuna, as Optuna's own is:
    the held parameters leave the base's joint space and are answered one at a time."""

    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        space = self.base_sampler.infer_relative_search_space(study, trial) or {}
        return {k: d for k, d in space.items() if k not in self.fixed_params}

    def sample_relative(self, study: Any, trial: FrozenTrial,
                        search_space: Mapping[str, Distribution]) -> dict[str, Any]:
        return dict(self.base_sampler.sample_relative(study, trial, dict(search_space)) or {})

    def sample_independent(self, study: Any, trial: FrozenTrial, param_name: str,
                           param_distribution: Distribution) -> Any:
        if param_name in self.fixed_params:
            return self.fixed_params[param_name]
        return self.base_sampler.sample_independent(study, trial, param_name, param_distribution)


class BruteForceSampler(OptunaMethods):
    """Every combination of a discrete space once, in a seeded random order; the study
    stops when all have been tried (running ones included). Parameters first seen in a trial
    take a value no earlier trial used, where one is left. Under threads or processes a
    combination can run twice, as in Optuna: a trial's values are stored as its objective
    asks for them, so another worker choosing in between does not see them yet."""

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        self.seed = resolve_seed(seed)
        self.avoid_premature_stop = avoid_premature_stop

    def _untried(self, space: Space, history: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
        names = list(space.params)
        axes = [discrete_values(n, space.params[n]) for n in names]
        seen = _tried(history, names)
        return [dict(zip(names, combo)) for combo in itertools.product(*axes)
                if params_key(dict(zip(names, combo))) not in seen]

    def is_exhausted(self, space: Space, history: Sequence[FrozenTrial]) -> bool:
        return bool(len(space)) and not self._untried(space, history)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not len(space):
            return {}
        untried = self._untried(space, history)
        if not untried:
            return {}
        return untried[int(trial_rng(self.seed, number).integers(len(untried)))]

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        values = discrete_values(name, dist)
        used = {params_key({name: t.params[name]}) for t in history
                if name in t.params and t.state != TrialState.WAITING}
        fresh = [v for v in values if params_key({name: v}) not in used] or values
        rng = np.random.default_rng([self.seed, number, name_salt(name)])
        return fresh[int(rng.integers(len(fresh)))]

    def __repr__(self) -> str:
        return f"BruteForceSampler(seed={self.seed})"
