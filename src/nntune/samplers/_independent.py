"""A parameter outside a sampler's joint space (a define-by-run branch the earlier trials
did not share): drawn by the sampler's own one-dimensional rule, or by the
``independent_sampler`` a user gave it, with Optuna's warning that the model does not see
it (``warn_independent_sampling``) once there is a joint space it stands outside of."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from nntune.exceptions import ConfigError
from nntune.samplers._base import independent_draws
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState


def checked_independent(sampler: Any) -> Any:
    """``independent_sampler`` as taken: None, or a sampler with nntune's ``suggest_one``
    (a sampler written for Optuna needs the study, which a one-parameter draw is not given)."""
    if sampler is not None and not callable(getattr(sampler, "suggest_one", None)):
        raise ConfigError("independent_sampler", f"needs one of nntune's samplers (RandomSampler, TPESampler, ...), "
                                                 f"got {type(sampler).__name__}")
    return sampler


def draw_independent(owner: Any, name: str, dist: Distribution, history: Sequence[FrozenTrial], number: int,
                     direction: str, own: Callable[[], Any]) -> Any:
    """``name``'s value for trial ``number``: ``owner.independent_sampler``'s if it has one,
    else ``own()``; warned about once a complete trial exists (the first trial's parameters
    are all drawn this way, by design) and, for a model-based owner, once its start-up
    trials are over, as Optuna's GP and CMA-ES samplers warn: before that every parameter
    is drawn on its own anyway, and a branch is not worth a warning per trial."""
    other = getattr(owner, "independent_sampler", None)
    startup = max(1, int(getattr(owner, "n_startup_trials", 1)))
    # Trial 0 draws everything this way by design: no need to read the history for it.
    if getattr(owner, "warn_independent_sampling", False) and number > 0 \
            and sum(1 for t in history if t.state == TrialState.COMPLETE) >= startup:
        by = type(other).__name__ if other is not None else f"{type(owner).__name__}'s one-dimensional draw"
        warnings.warn(f"{name} in trial {number} is drawn on its own by {by}, outside {type(owner).__name__}'s "
                      f"joint space (a define-by-run branch the earlier trials did not share); "
                      f"warn_independent_sampling=False silences this", UserWarning, stacklevel=2)
    if other is not None:
        return other.suggest_one(name, dist, history, number=number, direction=direction)
    return own()


def drawn_rest(owner: Any, space: Space, history: Sequence[FrozenTrial], number: int, direction: str,
               given: dict[str, Any]) -> dict[str, Any]:
    """``given`` completed with a value for every other active parameter of ``space`` (in its
    order: a parent decides its children), each by ``owner.independent_sampler`` where it
    has one, else by :func:`independent_draw` (the draws of ``independent_draws``). Not
    warned about: the space was declared with them, and they are drawn so by design."""
    other = owner.independent_sampler
    if other is None:
        return independent_draws(space, owner.seed, number, given)
    out = dict(given)
    for name, dist in space.params.items():
        if name not in out and space.is_active(name, out):
            out[name] = other.suggest_one(name, dist, history, number=number, direction=direction)
    return out
