"""A study: ask for a trial, run it, tell how it ended; ``optimize`` is the thin loop over that.

This module is where users get studies from: :func:`create_study` and :func:`load_study`
build a :class:`Study` (kept in ``nntune._study``) over a storage, with the defaults of
:mod:`nntune._defaults` when no sampler or scheduler is given. The study-level names
Optuna users import from ``optuna.study`` are re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from nntune._defaults import default_sampler, default_scheduler
from nntune._studies import (
    MaxTrialsCallback,
    StudyDirection,
    StudySummary,
    copy_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
)
from nntune._study import Callback, Objective, Study  # noqa: F401  Callback and Objective: imported from here too
from nntune.exceptions import ConfigError
from nntune.logging import get_logger
from nntune.pruners._pruners import check_pruner
from nntune.samplers import Sampler, resolve_seed
from nntune.samplers._checks import check_study_sampler
from nntune.schedulers import PBT, Scheduler
from nntune.search_space import infer_space
from nntune.space import Space
from nntune.storage import DuplicatedStudyError, Storage, StudyNotFoundError, get_storage, redact_url
from nntune.trial import Direction

_log = get_logger("nntune.study")
# How Optuna's "A new study created in ..." line names each kind of storage.
STORAGE_KINDS = {"InMemoryStorage": "memory", "JournalStorage": "Journal", "SQLStorage": "RDB"}


def _check_direction(direction: str) -> Direction:
    d = str(getattr(direction, "name", direction)).lower()
    if d not in ("minimize", "maximize"):
        raise ConfigError("direction", f"must be minimize or maximize, got {direction!r}")
    return d  # type: ignore[return-value]


def _check_sampler(value: Any) -> Any:
    """``value`` if it can draw parameters (nntune's ``suggest``, or Optuna's
    ``sample_independent``) or is None; else a one-line error at ``create_study`` rather than
    an AttributeError from inside the first trial. The class itself is the usual slip."""
    if value is None:
        return None
    if isinstance(value, type):
        raise ConfigError("sampler", f"got the class {value.__name__}, not a sampler: call it, "
                                     f"sampler={value.__name__}()")
    if not callable(getattr(value, "suggest", None)) and not callable(getattr(value, "sample_independent", None)):
        raise ConfigError("sampler", f"must be a sampler such as nntune.samplers.TPESampler(), got {value!r}")
    return value


def create_study(study_name: str | None = None, storage: str | Storage | None = None, *,
                 direction: str | None = None, sampler: Sampler | None = None,
                 scheduler: Scheduler | None = None, pruner: Scheduler | None = None,
                 load_if_exists: bool = False, space: Space | None = None, seed: int | None = None,
                 directions: Sequence[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Study:
    """Create a study in ``storage`` (a URL, a Storage, or None for in-memory).

    ``pruner`` is accepted as Optuna's name for ``scheduler``. With ``load_if_exists`` an
    existing study of that name is resumed: its trials stay and new ones continue the count;
    a direction given then must be the stored one (Optuna would load it anyway, and the script
    would read its best trial the wrong way round), left out it is the stored one.
    ``directions=["maximize", "minimize"]`` makes a study of several objectives: the
    objective returns one value per direction and ``best_trials`` is the Pareto front.
    Without a sampler or scheduler it uses :mod:`nntune._defaults` (TPE from the centre and
    Sobol start-up points, and ASHA, for one objective; TPE on the non-dominated sorting
    without stopping for several), seeded by ``seed``.
    ``study_name=None`` generates a name; an empty name is refused (Optuna stores one, which
    reports, model files and the CLI could not name).
    """
    if study_name is not None and not isinstance(study_name, str):  # else stored as 5 or ['a'], or a deep TypeError
        raise TypeError(f"study_name: must be a string, got {type(study_name).__name__} {study_name!r}")
    if study_name is not None and not study_name.strip():
        raise ConfigError("study_name", "must not be empty; leave it out for a generated name")
    if direction is not None and directions is not None:
        raise ConfigError("directions", "give direction or directions, not both")
    if isinstance(directions, str):  # else read letter by letter: "got 'm'"
        raise ConfigError("directions", f"must be a list, one direction per objective, such as "
                                        f"[{directions!r}], got {directions!r}")
    dirs = [_check_direction(d) for d in (directions if directions is not None else [direction if direction is not None else "minimize"])]
    if not dirs:
        raise ConfigError("directions", "needs at least one direction")
    direction_ = dirs[0]
    store = get_storage(storage)
    if load_if_exists and direction is None and directions is None and study_name is not None:
        # Loading a study the caller did not describe: it keeps the directions it was made with.
        rec = store.load_study(study_name)
        if rec is not None:
            dirs = list(rec.attrs.get("directions", [rec.direction]))
            direction_ = dirs[0]
    _check_sampler(sampler)
    scheduler = _check_objectives(check_pruner(scheduler, "scheduler") or check_pruner(pruner)
                                  or default_scheduler(len(dirs)), len(dirs))
    # A scheduler that also chooses configurations (BOHB) brings its own sampler.
    sampler = check_study_sampler(sampler or getattr(scheduler, "sampler", None) or default_sampler(seed, len(dirs)))
    sampler_seed = resolve_seed(getattr(sampler, "seed", None) if seed is None else seed)
    name = f"study-{sampler_seed}-{int(time.time() * 1000) % 10**8}" if study_name is None else study_name
    attrs: dict[str, Any] = {"seed": sampler_seed}
    if len(dirs) > 1:
        attrs["directions"] = dirs
    if space is not None:
        attrs["space"] = space.to_json()
    try:
        sid = store.create_study(name, direction_, attrs)
        _log.info("A new study created in %s with name: %s", STORAGE_KINDS.get(type(store).__name__, "RDB"), name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        _log.info("Using an existing study with name '%s' instead of creating a new one.", name)
        rec = store.load_study(name)
        assert rec is not None
        stored = rec.attrs.get("directions", [rec.direction])
        if stored != dirs:
            raise ConfigError("direction", f"study {name!r} was created to {', '.join(stored)}, "
                                           f"not {', '.join(dirs)}") from None
        sid = rec.id
        seed = rec.attrs.get("seed", seed)
    return Study(name=name, storage=store, study_id=sid, direction=direction_, sampler=sampler,
                 scheduler=scheduler, space=space, seed=seed, clock=clock, directions=dirs)


def _check_objectives(scheduler: Scheduler, n_objectives: int) -> Scheduler:
    """``scheduler``, if it can serve a study of ``n_objectives``. A pruner is kept for
    several objectives, as Optuna keeps it (``trial.should_prune()`` then says pruning is
    undefined); a scheduler that picks or replaces configurations by one value (PBT, BOHB)
    cannot run at all there."""
    if n_objectives > 1 and (isinstance(scheduler, PBT) or getattr(scheduler, "sampler", None) is not None):
        raise ConfigError("pruner", f"{type(scheduler).__name__} ranks trials by one value, which is undefined "
                                    f"for {n_objectives} objectives; leave it out")
    return scheduler


def load_study(study_name: str | None, storage: str | Storage, *, sampler: Sampler | None = None,
               scheduler: Scheduler | None = None, pruner: Scheduler | None = None) -> Study:
    """Open an existing study (its direction, seed and declared space come from storage);
    ``study_name=None`` opens the storage's only study, as Optuna's does."""
    return Study(**stored_study(study_name, storage, sampler=sampler, scheduler=scheduler, pruner=pruner))


def stored_study(study_name: str | None, storage: str | Storage, *, sampler: Sampler | None = None,
                 scheduler: Scheduler | None = None, pruner: Scheduler | None = None) -> dict[str, Any]:
    """What :class:`Study` is built with to open an existing study (``load_study``, and
    ``Study(study_name, storage)`` as Optuna scripts open one)."""
    if study_name is not None and not isinstance(study_name, str):
        raise TypeError(f"study_name: must be a string, got {type(study_name).__name__} {study_name!r}")
    store = get_storage(storage)
    if study_name is None:
        names = [s.name for s in store.list_studies()]
        if len(names) != 1:
            raise ValueError(f"study_name=None needs a storage with exactly one study; "
                             f"{redact_url(store.url)} has {len(names)}: give the name")
        study_name = names[0]
    rec = store.load_study(study_name)
    if rec is None:
        raise StudyNotFoundError(f"no study named {study_name!r} in {redact_url(store.url)}")
    space = Space.from_json(rec.attrs["space"]) if "space" in rec.attrs else None
    seed = rec.attrs.get("seed")
    n_objectives = len(rec.attrs.get("directions") or [rec.direction])
    _check_sampler(sampler)
    scheduler = _check_objectives(check_pruner(scheduler, "scheduler") or check_pruner(pruner)
                                  or default_scheduler(n_objectives), n_objectives)
    sampler = check_study_sampler(sampler or getattr(scheduler, "sampler", None) or default_sampler(seed, n_objectives))
    return dict(name=rec.name, storage=store, study_id=rec.id, direction=rec.direction, sampler=sampler,
                scheduler=scheduler, space=space, seed=seed, directions=rec.attrs.get("directions"))


__all__ = ["MaxTrialsCallback", "Study", "StudyDirection", "StudySummary", "copy_study", "create_study",
           "delete_study", "get_all_study_names", "get_all_study_summaries", "infer_space", "load_study"]
