"""Study-level names Optuna users import from ``optuna.study`` and the functions over a
storage's studies: ``StudyDirection``, ``MaxTrialsCallback``, ``StudySummary``,
``get_all_study_names``, ``get_all_study_summaries``, ``delete_study``, ``copy_study``."""

from __future__ import annotations

import enum
import json
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nntune._files import MODEL_FILES_KEY
from nntune._stored_value import as_stored
from nntune._values import show_values
from nntune._words import counted
from nntune.exceptions import ConfigError
from nntune.samplers._constraints import is_feasible
from nntune.storage import Storage, StudyNotFoundError, get_storage, redact_url
from nntune.storage._base import ENQUEUED_USER_ATTRS
from nntune.storage._memory_copies import _plain  # the storages' rule for what JSON keeps
from nntune.space import Distribution, dist_from_json
from nntune.trial import FrozenTrial, TrialState, best_trial

if TYPE_CHECKING:
    from nntune.study import Study


class StudyDirection(str, enum.Enum):
    """Which way a study's objective is better. Equal to the plain strings ``"minimize"``
    and ``"maximize"``, so either spelling works wherever a direction is compared.
    ``NOT_SET`` is Optuna's name for no direction, which scripts compare against; a study
    is never made with it (``create_study`` refuses it, as Optuna's does)."""

    NOT_SET = "not_set"
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class MaxTrialsCallback:
    """``optimize(..., callbacks=[MaxTrialsCallback(50, states=(TrialState.COMPLETE,))])``:
    stop once the study holds ``n_trials`` trials in ``states`` (all states with None),
    counting trials of every process that shares the study."""

    def __init__(self, n_trials: int, states: Iterable[TrialState] | None = (TrialState.COMPLETE,)) -> None:
        # Checked here: a bad count or state would otherwise surface only after the first trial.
        if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Real) \
                or not float(n_trials).is_integer() or n_trials < 0:
            raise ConfigError("n_trials", f"must be an integer >= 0, got {n_trials!r}")
        self.n_trials = int(n_trials)
        self.states = None if states is None else counted_states(states)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if len(study.get_trials(deepcopy=False, states=self.states)) >= self.n_trials:
            study.stop(f"{counted(self.n_trials, 'trial')} reached")


def counted_states(states: Any) -> tuple[TrialState, ...]:
    """``states`` as TrialStates: each a TrialState (nntune's or Optuna's) or its name
    (``"COMPLETE"``, ``"pruned"``); one state alone goes in a tuple, as Optuna's takes it."""
    names = ", ".join(dict.fromkeys(s.name for s in TrialState))
    if isinstance(states, (str, bytes, enum.Enum)) or not isinstance(states, Iterable):
        raise ConfigError("states", f"must be a tuple of TrialState ({names}) or None, got {states!r}")
    out = []
    for state in states:
        name = getattr(state, "name", state)
        found = TrialState.__members__.get(name.upper()) if isinstance(name, str) else None
        if found is None:
            raise ConfigError("states", f"{state!r} is not a trial state; expected one of {names}")
        out.append(found)
    return tuple(out)


@dataclass
class StudySummary:
    """One study at a glance, as ``get_all_study_summaries`` lists it."""

    study_name: str
    directions: list[StudyDirection]
    best_trial: FrozenTrial | None
    n_trials: int
    datetime_start: datetime | None
    study_id: int
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> StudyDirection:
        """The study's one direction. A study of several objectives has none, and says so
        as Optuna's summary does, rather than answer its first objective's."""
        if len(self.directions) > 1:
            raise RuntimeError(f"study {self.study_name!r} has {len(self.directions)} objectives and no single "
                               "direction; read directions (one for each objective)")
        return self.directions[0]

    @property
    def _study_id(self) -> int:  # Optuna's name for it, which scripts read
        return self.study_id

    # Ordered by study id, as Optuna's summaries are: sorted(get_all_study_summaries(url)).
    def __lt__(self, other: Any) -> bool:
        return self.study_id < other.study_id if isinstance(other, StudySummary) else NotImplemented

    def __le__(self, other: Any) -> bool:
        return self.study_id <= other.study_id if isinstance(other, StudySummary) else NotImplemented


def directions_of(direction: str, attrs: dict[str, Any]) -> list[StudyDirection]:
    return [StudyDirection(d) for d in attrs.get("directions", [direction])]


def get_all_study_names(storage: str | Storage) -> list[str]:
    """The names of every study in ``storage``, oldest first."""
    return [rec.name for rec in get_storage(storage).list_studies()]


def get_all_study_summaries(storage: str | Storage, include_best_trial: bool = True) -> list[StudySummary]:
    """A :class:`StudySummary` per study in ``storage`` (one bulk read of each study's trials)."""
    store = get_storage(storage)
    out = []
    for rec in store.list_studies():
        try:
            trials = store.get_trials(rec.id)
        except StudyNotFoundError:  # deleted by another process since it was listed: not there now
            continue
        dirs = directions_of(rec.direction, rec.attrs)
        # Of the trials that meet their constraints, as Study.best_trial and Optuna's summary pick it.
        feasible = [t for t in trials if is_feasible(t)]
        best = (best_trial(feasible, rec.direction)  # type: ignore[arg-type]
                if include_best_trial and len(dirs) == 1 else None)
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        out.append(StudySummary(study_name=rec.name, directions=dirs, best_trial=best,
                                n_trials=len(trials), datetime_start=min(starts) if starts else None,
                                study_id=rec.id, user_attrs=dict(rec.attrs.get("user_attrs", {})),
                                system_attrs={k: v for k, v in rec.attrs.items() if k != "user_attrs"}))
    return out


def _check_name(field: str, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(field, f"must name a study (a non-empty string), got {name!r}")
    return name


def delete_study(*, study_name: str, storage: str | Storage) -> None:
    """Remove a study and everything stored with it."""
    get_storage(storage).delete_study(_check_name("study_name", study_name))


def copy_study(*, from_study_name: str, from_storage: str | Storage, to_storage: str | Storage,
               to_study_name: str | None = None) -> None:
    """Copy a study (its attributes, every trial with its steps and times, and its looks at
    the test split) into another storage, under ``to_study_name`` or the same name.

    As in Optuna, running trials are copied too, running: the copy's trials keep the
    source's numbers, and a copied running trial that nobody tells is recovered (run again
    or failed) once its heartbeat is silent, as any trial whose process is gone."""
    source = get_storage(from_storage)
    rec = source.load_study(_check_name("from_study_name", from_study_name))
    if rec is None:
        raise StudyNotFoundError(f"no study named {from_study_name!r} in {redact_url(source.url)}")
    if to_study_name is not None:
        _check_name("to_study_name", to_study_name)
    target = get_storage(to_storage)
    trials = [source.get_trial(rec.id, t.number, with_metrics=True) for t in source.get_trials(rec.id)]
    for t in trials:  # checked before the copy is created: a refused trial leaves no half-copied study
        problem = adding_problem(t, check_params=False)
        if problem:
            raise ValueError(f"cannot copy trial {t.number} of {rec.name!r}: {problem}")
    # Not the key in its kept model files' names: a copy sharing it shares their names in the
    # study's folder, so the one tuned on would overwrite or delete the other's models.
    attrs = {k: v for k, v in rec.attrs.items() if k != MODEL_FILES_KEY}
    if "babysit" in attrs:  # nor its babysat trials' checkpoint folder, for the same reason
        from nntune.panda import copied_attrs  # torch: only for a babysat study

        attrs = copied_attrs(replace(rec, attrs=attrs))
    sid = target.create_study(to_study_name or rec.name, rec.direction, attrs)
    add_frozen_trials(target, sid, trials, check_params=False)
    # Looks at the test split are counted per study: the copy has had them too.
    for look in source.get_test_evaluations(rec.id):
        target.record_test_evaluation(sid, look["trial"], look["metrics"])


def adding_problem(t: FrozenTrial, check_params: bool = True) -> str | None:
    """Why a trial cannot be added to a study (None when it can), as Optuna's checks go;
    ``check_params``: also its params against its distributions."""
    state = TrialState(t.state)
    if state == TrialState.RUNNING and t.values is not None:
        # Optuna would store it, yet a running trial's value is what tell gives it.
        return f"a running trial has no value yet, got {t.values}; tell it once it ends"
    if state == TrialState.COMPLETE and t.value is None:
        return "a complete trial needs its value"
    for field_name in ("user_attrs", "system_attrs"):
        # Checked here, not found by the storage half-way through writing the trial (which
        # would leave it running, with the trials before it stored).
        try:
            json.dumps(getattr(t, field_name), default=_plain)
        except (TypeError, ValueError) as err:
            return f"{field_name}: {err}; store numbers, strings, lists or mappings of them"
    if not check_params:
        return None
    if set(t.params) != set(t.distributions) and state != TrialState.WAITING:
        return f"params and distributions name different parameters: {sorted(t.params)} vs {sorted(t.distributions)}"
    outside = [name for name, dist in t.distributions.items() if name in t.params and not dist.contains(t.params[name])]
    if outside:
        return f"{outside[0]}: {t.params[outside[0]]!r} is outside its distribution {t.distributions[outside[0]]!r}"
    return None


# A waiting trial added with parameters and their distributions (``add_trial(create_trial(
# state=WAITING, params=..., distributions=...))``) holds them from its start, as Optuna's
# does; the distributions are kept beside its fixed_params under this key.
HELD_DISTRIBUTIONS = "fixed_distributions"


def held_params(system_attrs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Distribution]]:
    """The parameters (in their stored form) and distributions a trial holds as it starts:
    each one added with its distribution, not those only enqueued by value, which the
    objective's suggest call checks as it asks."""
    fixed = system_attrs.get("fixed_params", {})
    dists = {k: dist_from_json(d) for k, d in system_attrs.get(HELD_DISTRIBUTIONS, {}).items() if k in fixed}
    return {k: as_stored(d, fixed[k]) for k, d in dists.items()}, dists


def add_frozen_trials(storage: Storage, study_id: int, trials: Sequence[FrozenTrial], *,
                      check_params: bool = True) -> None:
    """Store trials made elsewhere (``create_trial``, another study): parameters, steps,
    attributes, state and values. Their numbers are the study's next ones. Every trial is
    checked before any is stored: a refused one leaves the study as it was (``check_params``
    False: trials a study already held, copied as they are)."""
    for t in trials:
        problem = adding_problem(t, check_params)
        if problem:
            raise ValueError(f"cannot add trial {t.number}: {problem}" if t.number >= 0 else problem)
    if check_params:
        check_same_kinds(storage.get_trials(study_id), trials)
    for t in trials:
        state = TrialState(t.state)
        system = {k: v for k, v in t.system_attrs.items() if k != "values"}
        if state == TrialState.WAITING:
            queued = {**system, "fixed_params": {**system.get("fixed_params", {}), **t.params}}
            if t.distributions:
                queued[HELD_DISTRIBUTIONS] = {**system.get(HELD_DISTRIBUTIONS, {}),
                                              **{k: d.to_json() for k, d in t.distributions.items()}}
            if t.user_attrs:  # kept as enqueue_trial keeps them: a re-queued trial gets them back
                queued[ENQUEUED_USER_ATTRS] = {**system.get(ENQUEUED_USER_ATTRS, {}), **t.user_attrs}
            number = storage.create_trial(study_id, state=state, system_attrs=queued)
            if t.user_attrs:
                storage.set_trial_user_attrs(study_id, number, t.user_attrs)
            continue
        # Its own times, where it has them (as Optuna keeps them); passed only then, so that a
        # journal line of a trial without them reads as before.
        started = {"datetime_start": t.datetime_start} if t.datetime_start is not None else {}
        ended = {"datetime_complete": t.datetime_complete} if t.datetime_complete is not None else {}
        number = storage.create_trial(study_id, params=t.params, distributions=t.distributions,
                                      system_attrs=system, **started)
        records = {int(m["step"]): {k: v for k, v in m.items() if k != "step"} for m in t.metrics}
        for step in sorted(set(t.intermediate_values) | set(records)):
            storage.report(study_id, number, step, t.intermediate_values.get(step), records.get(step))
        if t.user_attrs:
            storage.set_trial_user_attrs(study_id, number, t.user_attrs)
        # A pruned trial keeps the value it was given, None included, as Optuna's add_trial
        # does: only tell() takes the last reported value, as the trial's end is told there.
        values, value, error = t.values, t.value, t.error
        if state == TrialState.COMPLETE and any(math.isnan(v) for v in values or []):
            # As Study.tell does: NaN is no value (an infinite one is), and a complete trial
            # without its value would read as a result that was never there.
            state, value = TrialState.DIVERGED, None
            error = error or f"objective returned {show_values(values or [])}"
        elif values is not None and len(values) > 1:
            storage.set_trial_system_attr(study_id, number, "values", values)
        if state != TrialState.RUNNING:  # a running one is told, or recovered once silent
            storage.finish_trial(study_id, number, state, value, error, **ended)


class ParamKinds:
    """Optuna's rule for one parameter across a study's trials, as to its kind: a float, an
    int, a choice or a beta wherever the study first drew it; else ConfigError, and the
    trial fails, as Optuna's storage refuses it (samplers, plots and importance read a
    parameter's values as one kind). A range, a log scale or a list of choices may change (a
    resumed config with one more optimizer): nntune stores values, not indices into the
    choices. The first distributions are read from storage once, then kept up with this
    process's suggestions and added trials; other processes' later first suggestions are
    not seen. Callers hold the study's lock."""

    def __init__(self) -> None:
        self.first: dict[str, Distribution] | None = None  # None: not read yet

    def check(self, name: str, dist: Distribution, history: Callable[[], Sequence[FrozenTrial]]) -> None:
        if self.first is None:
            self.first = {}
            self.add(history())
        first = self.first.setdefault(name, dist)
        if type(first) is not type(dist):
            raise ConfigError(name, f"asked as {type(dist).__name__.lower()} where earlier trials of this study "
                                    f"asked {type(first).__name__.lower()}; use another name for the other kind")

    def add(self, trials: Iterable[FrozenTrial]) -> None:
        for t in trials if self.first is not None else ():
            for name, dist in t.distributions.items():
                self.first.setdefault(name, dist)


def check_same_kinds(held: Sequence[FrozenTrial], added: Sequence[FrozenTrial]) -> None:
    """Optuna's rule for a parameter across a study's trials, applied to trials added to it:
    the same kind (and log scale, and choices) as the trials before; a ValueError otherwise,
    since one parameter drawn as a number here and as a choice there breaks the samplers'
    and the plots' reading of it."""
    from nntune.distributions import check_distribution_compatibility

    known = {name: dist for t in held for name, dist in t.distributions.items()}
    for t in added:
        for name, dist in t.distributions.items():
            if name in known:
                try:
                    check_distribution_compatibility(known[name], dist)
                except ValueError as err:
                    raise ValueError(f"cannot add trial {t.number}: {name}: {err}" if t.number >= 0
                                     else f"{name}: {err}") from None
            known.setdefault(name, dist)


def same_params(known: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Optuna's test of ``enqueue_trial(skip_if_exists=True)``: the same names (a trial that
    also drew others is another trial), each value of the same type and equal (floats up to
    a relative 1e-5)."""
    if known.keys() != params.keys():
        return False
    for name, value in params.items():
        old = known[name]
        if not isinstance(value, type(old)):
            return False
        if isinstance(value, float) and not math.isclose(value, float(old), rel_tol=1e-5):
            if not (math.isnan(value) and math.isnan(old)):
                return False
        elif not isinstance(value, float) and value != old:
            return False
    return True


__all__ = ["add_frozen_trials", "MaxTrialsCallback", "StudyDirection", "StudySummary", "copy_study", "delete_study",
           "get_all_study_names", "get_all_study_summaries", "same_params"]
