"""The storage seam: the single source of truth for studies, trials and test evaluations.

Everything a sampler or scheduler decides is a function of what storage returns, so any
process that shares a storage can ask, report and tell. Values cross this boundary as JSON
(never pickle): parameters, distributions, per-step metric records, attributes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Protocol, overload

from nntune.exceptions import ConfigError, DuplicatedStudyError, TrialStateError
from nntune.space import Distribution
from nntune.trial import FrozenTrial, TrialState, best_trial


class StudyNotFoundError(KeyError):
    """No study of that name in this storage."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it one plain line
        return str(self.args[0]) if self.args else "study not found"


class StorageFull(ConfigError):
    """The storage cannot be written because its disk is full: a condition outside any trial,
    which a worker that meets it reports as such, so that its trial is no crash of its own."""


def missing_trial(study_id: int, number: int, *, study_exists: bool) -> KeyError:
    """What looking up a trial that is not there raises: a StudyNotFoundError when its whole
    study is gone (deleted while a search ran: the search stops with that one line), a
    KeyError for the trial otherwise."""
    if not study_exists:
        return StudyNotFoundError(f"no trial {number} in study {study_id}: {GONE}")
    return KeyError(f"no trial {number} in study {study_id}")


GONE = "the study was deleted while it was in use"


def study_gone(study_id: int) -> StudyNotFoundError:
    """A study id that no longer names a study: ids come from the storage itself, so the
    study was there when it was opened and has been deleted since."""
    return StudyNotFoundError(f"no study with id {study_id}: {GONE}")


@dataclass(frozen=True)
class StudyRecord:
    id: int
    name: str
    direction: str
    attrs: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class StudySummary:
    """A study at a glance: trials per state (every state, waiting and running included),
    the best complete value for its direction, and when a trial last started, reported or
    finished (``None`` before any trial ran)."""

    id: int
    name: str
    direction: str
    counts: dict[str, int]
    best_value: float | None
    last_activity: datetime | None
    created_at: datetime | None = None

    @property
    def n_trials(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TrialChanges:
    """The trials that changed since a moment, and the latest change among them (the
    moment itself when none changed): ask again from there to follow a running study."""

    trials: list[FrozenTrial]
    latest: datetime | None


@dataclass(frozen=True)
class ParamChange:
    """A change of one hyperparameter of a trial while it trains. Pending (``epoch`` None)
    until the trainer takes it at an epoch boundary; then ``epoch`` is the last epoch trained
    with ``old`` and later epochs train with ``new``. ``who`` is ``user`` or ``pbt``."""

    id: int
    trial: int
    param: str
    new: Any
    who: str
    created_at: datetime
    epoch: int | None = None
    old: Any = None

    @property
    def pending(self) -> bool:
        return self.epoch is None


def applied_changes(pending: Sequence[ParamChange], epoch: int,
                    current: Mapping[str, Any]) -> list[ParamChange]:
    """Pending changes (oldest first) as taken at ``epoch``: each one's old value is what the
    trainer had, or the new value of an earlier change of the same parameter."""
    values = dict(current)
    out = []
    for change in pending:
        out.append(ParamChange(change.id, change.trial, change.param, change.new, change.who,
                               change.created_at, epoch, values.get(change.param)))
        values[change.param] = change.new
    return out


def summarize_study(rec: StudyRecord, counts: Mapping[str, int], best: float | None,
                    last: datetime | None) -> StudySummary:
    full = {s.value: int(counts.get(s.value, 0)) for s in TrialState}
    return StudySummary(rec.id, rec.name, rec.direction, full, best, last, rec.created_at)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# System attributes that describe one attempt at a trial, dropped when it is re-queued.
ATTEMPT_ATTRS = ("worker", "peak_rss_mb", "peak_gpu_mb", "traceback", "inherited_by")
# The user_attrs a trial was enqueued with (``Study.enqueue_trial``): a recovered trial
# gets them back, as it gets back its ``fixed_params``, while what a run wrote is cleared.
ENQUEUED_USER_ATTRS = "fixed_user_attrs"

# The system attribute that numbers the claims of a trial. A worker keeps the number its
# claim got and passes it with its writes; once the trial was recovered (and perhaps
# claimed by another worker) the number has moved on and those writes are refused, so a
# worker that stalled past the grace period cannot mix its results into another's run.
CLAIM = "claim"


class TrialTakenOver(TrialStateError):
    """A write to a trial from a claim that is no longer the trial's own: the trial was
    recovered after its heartbeat stopped and may run in another worker now."""


def next_claim(system_attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``system_attrs`` with the claim number moved on (a claim, or a recovery revoking one)."""
    return {**system_attrs, CLAIM: int(system_attrs.get(CLAIM, 0)) + 1}


def check_claim(number: int, system_attrs: Mapping[str, Any], claim: int | None) -> None:
    """Refuse a write made under ``claim`` unless it is the trial's current claim (None: unchecked)."""
    if claim is not None and system_attrs.get(CLAIM) != claim:
        raise TrialTakenOver(f"trial {number} was taken from this worker after its heartbeat stopped (it may run "
                             "in another worker now); this worker's result is discarded")


def interruption_outcome(system_attrs: Mapping[str, Any], reason: str, max_retries: int, *,
                         counted: bool = True, params: Mapping[str, Any] | None = None,
                         ) -> tuple[TrialState, dict[str, Any], str | None]:
    """What recovering an interrupted trial does: (new state, new system attrs, error).

    A trial is re-queued while it has been retried fewer than ``max_retries`` times (so a
    trial that kills its process every time cannot loop forever), then failed with the
    reason. ``system_attrs["retries"]`` counts the re-queues, ``["interrupted"]`` says why.
    Not ``counted`` (a stop the user asked for, Ctrl-C): always re-queued and counted in
    ``["interruptions"]`` instead, so that it leaves the trial every retry a crash may need.
    A re-queued trial keeps the ``params`` it had drawn as its ``fixed_params``: it runs
    again as the same configuration (as Optuna's retried copy does), so an objective that
    resumes from the trial's own checkpoint resumes the weights of these values, whatever
    the sampler would draw now from a history that has grown meanwhile.
    """
    retries = int(system_attrs.get("retries", 0))
    # The claim that ran it is revoked: its holder's late writes are refused from now on.
    attrs = next_claim(system_attrs) if CLAIM in system_attrs else dict(system_attrs)
    if retries < max_retries or not counted:
        for key in ATTEMPT_ATTRS:
            attrs.pop(key, None)
        if counted:
            attrs.update(retries=retries + 1, interrupted=reason)
        else:
            attrs.update(interruptions=int(attrs.get("interruptions", 0)) + 1, interrupted=reason)
        if params:
            attrs["fixed_params"] = {**params, **attrs.get("fixed_params", {})}
        return TrialState.WAITING, attrs, None
    suffix = f" (after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else ""
    return TrialState.FAILED, attrs, f"{reason}{suffix}"


class Storage(Protocol):
    """What every storage does; ``tests/storage`` runs one contract suite against each."""

    url: str

    def create_study(self, name: str, direction: str, attrs: Mapping[str, Any] | None = None) -> int: ...
    def load_study(self, name: str) -> StudyRecord | None: ...
    def list_studies(self) -> list[StudyRecord]: ...
    def delete_study(self, name: str) -> None: ...
    def set_study_attr(self, study_id: int, key: str, value: Any) -> None: ...
    def merge_study_attr(self, study_id: int, key: str, merge: Callable[[Any], Any]) -> Any:
        """Set the attribute ``key`` to ``merge(its stored value or None)`` in one atomic
        step (processes sharing a study never lose each other's part); returns what is stored."""
    def study_summaries(self) -> list[StudySummary]:
        """Every study with its trial counts, best value and last activity, in creation order."""


    def create_trial(self, study_id: int, *, state: TrialState = TrialState.RUNNING,
                     params: Mapping[str, Any] | None = None,
                     distributions: Mapping[str, Distribution] | None = None,
                     system_attrs: Mapping[str, Any] | None = None,
                     datetime_start: datetime | None = None) -> int:
        """Add a trial and return its number (0, 1, 2, ... per study, never reused); a running
        one started now, or at ``datetime_start`` (a trial copied from elsewhere)."""
    def claim_waiting_trial(self, study_id: int) -> int | None:
        """Atomically move the oldest ``waiting`` trial to ``running``; its number or None."""
    def set_trial_params(self, study_id: int, number: int, params: Mapping[str, Any],
                         distributions: Mapping[str, Distribution], *, claim: int | None = None) -> None:
        """Add (or overwrite) parameters of a running trial, with their distributions.
        ``claim``: the writer's claim number (``system_attrs["claim"]`` as it claimed the
        trial); a claim that is no longer the trial's raises :class:`TrialTakenOver` and
        writes nothing. The same holds for every write below that takes one."""
    def report(self, study_id: int, number: int, step: int, value: float | None,
               metrics: Mapping[str, Any] | None = None, *, claim: int | None = None) -> None: ...
    def set_trial_user_attr(self, study_id: int, number: int, key: str, value: Any) -> None: ...
    def set_trial_user_attrs(self, study_id: int, number: int, attrs: Mapping[str, Any], *,
                             claim: int | None = None) -> None:
        """Several user attributes in one write: all of them, or none if one is not JSON."""
    def set_trial_system_attr(self, study_id: int, number: int, key: str, value: Any, *,
                              claim: int | None = None) -> None: ...
    def heartbeat(self, study_id: int, number: int, *, claim: int | None = None) -> None:
        """Say that a running trial's process is alive (``report`` says it too)."""
    def claim_trial(self, study_id: int, *, max_trials: int | None = None,
                    system_attrs: Mapping[str, Any] | None = None,
                    waiting_only: bool = False, number: int | None = None,
                    heartbeat: bool = True) -> FrozenTrial | None:
        """Start a trial in one transaction: the oldest waiting one, else (unless
        ``waiting_only``) a new one. None when there is none to start or the study already
        holds ``max_trials`` trials that are running or finished.
        ``system_attrs`` are merged into the started trial's. ``number``: start that waiting
        trial only (None when it is not waiting), never another. Each claim moves the
        trial's ``system_attrs["claim"]`` on, so no two claims share a number.
        ``heartbeat``: stamp the trial's heartbeat now (a runner keeps it beating); without
        a stamp (``Study.ask``'s trials) neither ``report`` nor ``recover_stale_trials``
        ever takes it for silent, as Optuna watches only the trials ``optimize`` runs."""
    def recover_trial(self, study_id: int, number: int, reason: str, *,
                      max_retries: int = 0, counted: bool = True) -> TrialState | None:
        """A running trial whose process is gone: back to ``waiting`` (parameters, steps and
        user attributes cleared) while it has been retried fewer than ``max_retries`` times,
        else ``failed`` with the reason. Not ``counted`` (Ctrl-C): back to ``waiting`` without
        using up a retry. Either way the claim it ran under is revoked. The new state, or
        None if it was not running."""
    def recover_stale_trials(self, study_id: int, grace_seconds: float, *, max_retries: int = 0,
                             now: datetime | None = None) -> dict[int, TrialState]:
        """``recover_trial`` for every running trial whose heartbeat is older than
        ``grace_seconds`` (by ``now``, default the current UTC time); their numbers and new
        states. A trial claimed without a heartbeat is never stale."""
    def finish_trial(self, study_id: int, number: int, state: TrialState, value: float | None = None,
                     error: str | None = None, *, datetime_complete: datetime | None = None,
                     claim: int | None = None) -> FrozenTrial:
        """Move a running trial to a finished state (now, or at ``datetime_complete``) and
        return it as stored (without the per-step metric records); finishing twice raises
        TrialStateError."""
    def get_trial(self, study_id: int, number: int, *, with_metrics: bool = True) -> FrozenTrial: ...
    def get_trials(self, study_id: int, states: Iterable[TrialState] | None = None, *,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        """All trials in number order, in bulk; per-step metric records only on request.
        Without them the trials may be shared with other readers (the in-memory storage
        hands out one copy per trial version): treat them as read-only."""

    def get_trials_since(self, study_id: int, since: datetime | None, *,
                         with_metrics: bool = False) -> TrialChanges:
        """The trials changed at ``since`` or later (all trials when ``since`` is None), in
        number order: enqueued, claimed, re-queued, given parameters or attributes, a step
        reported, finished. A bare heartbeat is no change."""

    def add_param_changes(self, study_id: int, number: int, changes: Mapping[str, Any], *,
                          who: str = "user") -> list[ParamChange]:
        """Queue changes of a waiting or running trial's hyperparameters, all in one write;
        TrialStateError for a finished trial, KeyError for an unknown one."""
    def take_param_changes(self, study_id: int, number: int, epoch: int,
                           current: Mapping[str, Any]) -> list[ParamChange]:
        """In one transaction: the trial's pending changes, marked as applied after ``epoch``
        with their old values read from ``current`` (see :func:`applied_changes`)."""
    def get_param_changes(self, study_id: int, number: int | None = None) -> list[ParamChange]:
        """Every change (pending and applied) of one trial, or of every trial, oldest first."""

    def record_test_evaluation(self, study_id: int, trial_number: int,
                               metrics: Mapping[str, Any]) -> int:
        """Record one look at the sealed test split; returns how many looks there have been."""
    def get_test_evaluations(self, study_id: int) -> list[dict[str, Any]]: ...


class LazyHistory(Sequence[FrozenTrial]):
    """A study's trials, read from storage in bulk the first time anyone looks at them.

    A sampler that draws from (seed, trial number) alone never looks, so asking for a trial
    then costs one transaction instead of a read of the whole history.
    """

    def __init__(self, storage: Storage, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        self._trials: list[FrozenTrial] | None = None

    def _load(self) -> list[FrozenTrial]:
        if self._trials is None:
            self._trials = self._storage.get_trials(self._study_id)
        return self._trials

    @overload
    def __getitem__(self, index: int) -> FrozenTrial: ...
    @overload
    def __getitem__(self, index: slice) -> list[FrozenTrial]: ...
    def __getitem__(self, index: int | slice) -> FrozenTrial | list[FrozenTrial]:
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self) -> Iterator[FrozenTrial]:
        return iter(self._load())

    @property
    def loaded(self) -> bool:
        return self._trials is not None


class FrozenStudy:
    """A study as Optuna's storage methods hand it out (``storage.get_all_studies()``):
    its name, directions, attributes and ``_study_id``."""

    def __init__(self, rec: StudyRecord) -> None:
        from nntune._studies import StudyDirection, directions_of  # the package imports this module first

        self.study_name = rec.name
        self.directions: list[StudyDirection] = directions_of(rec.direction, rec.attrs)
        self.user_attrs: dict[str, Any] = dict(rec.attrs.get("user_attrs", {}))
        self.system_attrs: dict[str, Any] = {k: v for k, v in rec.attrs.items() if k != "user_attrs"}
        self._study_id = rec.id

    @property
    def direction(self) -> Any:
        if len(self.directions) > 1:
            raise RuntimeError(f"study {self.study_name!r} has {len(self.directions)} objectives and no single "
                               "direction; read directions")
        return self.directions[0]

    def __repr__(self) -> str:
        return f"FrozenStudy(study_name={self.study_name!r}, directions={self.directions}, study_id={self._study_id})"


class OptunaStorageReads:
    """The reads of Optuna's ``BaseStorage`` that scripts call on a storage object
    (``storage.get_all_studies()``, ``get_study_id_from_name``, ``get_all_trials``, ...), over
    each storage's own methods. A study id is the storage's own (``FrozenStudy._study_id``,
    ``Study.id``); an unknown name or id is a KeyError, as there."""

    def _study_record(self, study_id: int) -> StudyRecord:
        for rec in self.list_studies():  # type: ignore[attr-defined]
            if rec.id == study_id:
                return rec
        raise StudyNotFoundError(f"no study with id {study_id}")

    def get_all_studies(self) -> list[FrozenStudy]:
        return [FrozenStudy(rec) for rec in self.list_studies()]  # type: ignore[attr-defined]

    def get_study_id_from_name(self, study_name: str) -> int:
        rec = self.load_study(study_name)  # type: ignore[attr-defined]
        if rec is None:
            raise StudyNotFoundError(f"no study named {study_name!r}")
        return int(rec.id)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._study_record(study_id).name

    def get_study_directions(self, study_id: int) -> list[Any]:
        return FrozenStudy(self._study_record(study_id)).directions

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return FrozenStudy(self._study_record(study_id)).user_attrs

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return FrozenStudy(self._study_record(study_id)).system_attrs

    def get_all_trials(self, study_id: int, deepcopy: bool = True,
                       states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        trials = self.get_trials(study_id, states)  # type: ignore[attr-defined]
        return copy.deepcopy(trials) if deepcopy else list(trials)

    def get_n_trials(self, study_id: int, state: TrialState | Iterable[TrialState] | None = None) -> int:
        # One state is any enum member (Optuna's own ``TrialState.COMPLETE`` too, read by its
        # name as ``get_trials`` reads it) or a name; else a tuple of them, as Optuna takes.
        states = [state] if isinstance(state, (Enum, str)) else state
        return len(self.get_trials(study_id, states))  # type: ignore[attr-defined]

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """The complete trial with the best value; a ValueError when none is complete, a
        RuntimeError for a study of several objectives (as Optuna's)."""
        study = FrozenStudy(self._study_record(study_id))
        best = best_trial(self.get_trials(study_id, [TrialState.COMPLETE]),  # type: ignore[attr-defined]
                          study.direction.value)
        if best is None:
            raise ValueError(f"study {study.study_name!r} has no complete trial yet")
        return best

    def remove_session(self) -> None:
        """Nothing to remove: each call takes its connection and gives it back."""
