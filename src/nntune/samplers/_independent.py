"""A parameter outside a sampler's joint space (a define-by-run branch the earlier trials
did not share): drawn by the sampler's own one-dimensional rule, or by the
``independent_sampler`` a user gave it, with Optuna's logged warning that the model does
not see it (``warn_independent_sampling``) once there is a joint space it stands outside of.

The ``independent_sampler`` is one of nntune's samplers (asked through ``suggest_one``) or,
as in Optuna, any sampler with Optuna's interface (a ``BaseSampler`` subclass, asked through
``sample_independent(study, trial, name, distribution)``). For the latter the study and the
trial are those the owner last heard of in this thread or task (``before_trial``, or
Optuna's ``sample_relative``/``sample_independent``): nntune's narrower seam hands the owner
the history, not the study.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from nntune.exceptions import ConfigError
from nntune.logging import get_logger
from nntune.samplers._base import independent_draws
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState

# The study (and trial) a sampler is drawing for, for an independent sampler of Optuna's
# interface. A ContextVar: threads sharing a sampler (n_jobs) each draw for their own trial.
_ASKED: ContextVar[tuple[Any, FrozenTrial] | None] = ContextVar("nntune_sampler_asked", default=None)


def remember_asked(study: Any, trial: FrozenTrial) -> None:
    """Note the study and trial being sampled (``before_trial``), for an Optuna-style
    independent sampler asked later in the trial."""
    _ASKED.set((study, trial))


def noted() -> tuple[Any, FrozenTrial] | None:
    """The study and trial noted last in this thread or task, or None."""
    return _ASKED.get()


@contextmanager
def asked(study: Any, trial: FrozenTrial) -> Iterator[None]:
    """The study and trial noted for the span of one of Optuna's sampling calls."""
    token = _ASKED.set((study, trial))
    try:
        yield
    finally:
        _ASKED.reset(token)


def _optuna_style(sampler: Any) -> bool:
    """Whether ``sampler`` is asked through Optuna's ``sample_independent`` (it has no
    ``suggest_one`` of nntune's)."""
    return not callable(getattr(sampler, "suggest_one", None))


def checked_independent(sampler: Any) -> Any:
    """``independent_sampler`` as taken: None, one of nntune's samplers, or a sampler with
    Optuna's ``sample_independent`` (a ``BaseSampler`` subclass), but not one of Optuna's
    own samplers, which read Optuna's study internals."""
    if sampler is None or not _optuna_style(sampler):
        return sampler
    if not callable(getattr(sampler, "sample_independent", None)):
        raise ConfigError("independent_sampler", f"needs a sampler (one of nntune's, or a BaseSampler subclass "
                                                 f"with sample_independent), got {type(sampler).__name__}")
    from nntune.samplers._checks import check_study_sampler

    try:
        return check_study_sampler(sampler)
    except ConfigError as err:
        raise ConfigError("independent_sampler", err.problem) from None


def draw_by(other: Any, name: str, dist: Distribution, history: Sequence[FrozenTrial], number: int,
            direction: str) -> Any:
    """``other``'s value of ``name`` for trial ``number``: ``suggest_one`` for one of nntune's
    samplers, Optuna's ``sample_independent`` with the study and trial being sampled for a
    sampler written for Optuna."""
    if not _optuna_style(other):
        return other.suggest_one(name, dist, history, number=number, direction=direction)
    noted = _ASKED.get()
    if noted is None:
        raise RuntimeError(f"independent_sampler {type(other).__name__} needs the study (Optuna's "
                           f"sample_independent): draw {name} through a study's trial, not suggest_one")
    study, trial = noted
    if trial.number != number:  # noted at another trial of this thread: read this one's
        trial = study.storage.get_trial(study.id, number, with_metrics=False)
    return other.sample_independent(study, trial, name, dist)


def forward_hook(owner: Any, hook: str, *args: Any) -> None:
    """Hand ``before_trial``/``after_trial`` on to ``owner.independent_sampler``, as Optuna's
    samplers do (a user's sampler may keep state per trial)."""
    method = getattr(getattr(owner, "independent_sampler", None), hook, None)
    if method is not None:
        method(*args)


def warn_independent(owner: Any, name: str, history: Sequence[FrozenTrial], number: int, reason: str) -> None:
    """Optuna's ``warn_independent_sampling`` warning for ``name``, drawn on its own in trial
    ``number`` for ``reason``: once a complete trial exists (the first trial's parameters are
    all drawn this way, by design) and, for a model-based owner, once its start-up trials
    are over, as Optuna's GP and CMA-ES samplers warn: before that every parameter is drawn
    on its own anyway, and is not worth a warning per trial."""
    if not getattr(owner, "warn_independent_sampling", False) or number <= 0:
        return  # trial 0 draws everything this way by design: no need to read the history for it
    startup = max(1, int(getattr(owner, "n_startup_trials", 1)))
    if sum(1 for t in history if t.state == TrialState.COMPLETE) < startup:
        return
    other = getattr(owner, "independent_sampler", None)
    by = type(other).__name__ if other is not None else f"{type(owner).__name__}'s one-dimensional draw"
    sampler_logger(owner).warning(f"{name} in trial {number} is drawn on its own by {by}, outside "
                                  f"{type(owner).__name__}'s joint space ({reason}); warn_independent_sampling=False "
                                  "silences this")


def sampler_logger(owner: Any) -> logging.Logger:
    """The logger of ``owner``'s module (``nntune.samplers._cmaes``, as Optuna's CMA-ES logs
    to ``optuna.samplers._cmaes``), or ``nntune.samplers`` for a sampler defined elsewhere. A
    note per trial is a log line, as Optuna's, so ``nntune.logging.set_verbosity(ERROR)``
    silences it where a Python warning filter would not."""
    module = type(owner).__module__
    return get_logger(module if module.startswith("nntune.") else "nntune.samplers")


def draw_independent(owner: Any, name: str, dist: Distribution, history: Sequence[FrozenTrial], number: int,
                     direction: str, own: Callable[[], Any]) -> Any:
    """``name``'s value for trial ``number``: ``owner.independent_sampler``'s if it has one,
    else ``own()``; warned about as :func:`warn_independent` says."""
    warn_independent(owner, name, history, number, "a define-by-run branch the earlier trials did not share")
    other = getattr(owner, "independent_sampler", None)
    if other is not None:
        return draw_by(other, name, dist, history, number, direction)
    return own()


def drawn_rest(owner: Any, space: Space, history: Sequence[FrozenTrial], number: int, direction: str,
               given: dict[str, Any]) -> dict[str, Any]:
    """``given`` completed with a value for every other active parameter of ``space`` (in its
    order: a parent decides its children), each by ``owner.independent_sampler`` where it
    has one, else by :func:`independent_draw` (the draws of ``independent_draws``). Not
    warned about here: the space was declared with them (a caller whose model leaves some
    out for good, as CMA-ES its choices, warns of those itself)."""
    other = owner.independent_sampler
    if other is None:
        return independent_draws(space, owner.seed, number, given)
    out = dict(given)
    for name, dist in space.params.items():
        if name not in out and space.is_active(name, out):
            out[name] = draw_by(other, name, dist, history, number, direction)
    return out
