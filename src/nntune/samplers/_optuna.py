"""Samplers Optuna users name: a base class for their own, and partial fixing.

``BaseSampler`` is Optuna's interface for a sampler written by a user: it is handed the
study and the trial (``infer_relative_search_space``, ``sample_relative``,
``sample_independent``), as in Optuna, and the study calls it through those. nntune's own
samplers keep the narrower seam of ``_base.py`` (space and history in, parameters out);
``PartialFixedSampler`` is such a sampler (brute force is in ``_brute_force``).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nntune._known_values import known_value
from nntune.samplers._optuna_methods import OptunaMethods, asked_like_optuna
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState


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


# Every built-in sampler is a BaseSampler, as Optuna's are (``isinstance(sampler,
# optuna.samplers.BaseSampler)`` in a script's own wrapper or checks): each answers Optuna's
# methods through OptunaMethods, registered here so the built-ins keep their class tree.
BaseSampler.register(OptunaMethods)


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

    def __getnewargs__(self) -> tuple[dict[str, Any], Any]:
        # pickle and copy.deepcopy call __new__ with these: Optuna's way to resume a study
        # pickles its sampler, and __new__ needs the base to pick the class.
        return self.fixed_params, self.base_sampler

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
        # Without the fixed names: a base that chooses more than the space it is handed (a
        # grid of given values, before the space is known) would otherwise override them.
        out = {k: v for k, v in self.base_sampler.suggest(free, self._seen(history), number=number,
                                                          direction=direction).items()
               if k not in self.fixed_params}
        out.update({k: self._fixed(k, space.params[k]) for k in self.fixed_params if k in space.params})
        return out

    @property
    def is_exhausted(self) -> Callable[[Space, Sequence[FrozenTrial]], bool]:
        """Whether the base has run out (a grid's points), as Optuna's base stops the study
        through this wrapper. Only where the base can run out: the study reads the whole
        history before each trial for a sampler that has it."""
        exhausted = getattr(self.base_sampler, "is_exhausted", None)
        if exhausted is None:
            raise AttributeError("is_exhausted")
        return lambda space, history: bool(exhausted(space, self._seen(history)))

    def _seen(self, history: Sequence[FrozenTrial]) -> Sequence[FrozenTrial]:
        """The history as a base that counts whole points (a grid, brute force: it has
        ``is_exhausted``) must see it: without the fixed parameters, which it never chose,
        so a grid that also lists one still counts each of its points once, as Optuna's."""
        if getattr(self.base_sampler, "is_exhausted", None) is None:
            return history
        fixed = self.fixed_params.keys()
        return [dataclasses.replace(t, params={k: v for k, v in t.params.items() if k not in fixed},
                                    distributions={k: d for k, d in t.distributions.items() if k not in fixed})
                if fixed & t.params.keys() else t for t in history]

    def _fixed(self, name: str, dist: Distribution) -> Any:
        """The fixed value as the answer to ``dist``, by Optuna's rule: an integer parameter
        takes its integer part, a number out of the range is kept with a warning, a string
        that is no number or a value off the choices is a one-line ValueError."""
        return known_value(name, dist, self.fixed_params[name], "fixed", stacklevel=6)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        if name in self.fixed_params:
            return self._fixed(name, dist)
        return self.base_sampler.suggest_one(name, dist, history, number=number, direction=direction)

    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        """The base's joint space less the fixed parameters, as Optuna's (``sample_independent``
        gives those)."""
        infer = getattr(self.base_sampler, "infer_relative_search_space", None)
        space = infer(study, trial) if infer is not None else super().infer_relative_search_space(study, trial)
        return {k: d for k, d in space.items() if k not in self.fixed_params}

    def __repr__(self) -> str:
        return f"PartialFixedSampler({self.fixed_params!r}, {self.base_sampler!r})"


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
            return self._fixed(param_name, param_distribution)
        return self.base_sampler.sample_independent(study, trial, param_name, param_distribution)
