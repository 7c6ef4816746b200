"""In-process storage: fast, thread-safe, gone when the process ends. For tests and notebooks.

What it takes in and hands out are copies (:mod:`nntune.storage._memory_copies`); its
hyperparameter changes and test looks are :mod:`nntune.storage._memory_changes`'s methods.
"""

from __future__ import annotations

import copy
import heapq
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from nntune.space import Distribution
from nntune.storage._base import (CLAIM, ENQUEUED_USER_ATTRS, DuplicatedStudyError, OptunaStorageReads, ParamChange,
                                  StudyNotFoundError, StudyRecord, StudySummary, TrialChanges, TrialStateError,
                                  check_claim, interruption_outcome, missing_trial, next_claim, study_gone,
                                  summarize_study, utcnow)
from nntune.storage._memory_changes import MemoryChangesAndTests
from nntune.storage._memory_copies import _copy_trial, _json
from nntune.trial import FrozenTrial, TrialState, meets_constraints


class InMemoryStorage(MemoryChangesAndTests, OptunaStorageReads):
    url = "memory"

    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock  # when each change happened (a journal replays changes at their own time)
        self._lock = threading.RLock()
        self._studies: dict[int, StudyRecord] = {}
        self._trials: dict[int, list[FrozenTrial]] = {}
        self._tests: dict[int, list[dict[str, Any]]] = {}
        self._deleted: set[int] = set()  # ids of deleted studies: a search still using one is told so
        # Copies already handed out by get_trials, per study in number order, and the
        # numbers changed since: a trial is copied again only after it changed, so reading
        # a long history costs one list copy.
        self._views: dict[int, list[FrozenTrial]] = {}
        self._stale: dict[int, set[int]] = {}
        self._heartbeats: dict[tuple[int, int], datetime] = {}
        # Per study, when each trial last changed in a way a reader may show (not a bare heartbeat).
        self._updated: dict[int, dict[int, datetime]] = {}
        self._waiting: dict[int, list[int]] = {}  # per study, a heap of waiting trial numbers
        self._changes: dict[int, list[ParamChange]] = {}  # per study, oldest first
        self._change_ids = 0

    # Pickled whole (Optuna's FAQ saves an in-memory study with joblib.dump): the lock is
    # the only part of it that is this process's own.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # studies --------------------------------------------------------------------------
    def create_study(self, name: str, direction: str, attrs: Mapping[str, Any] | None = None) -> int:
        with self._lock:
            if any(s.name == name for s in self._studies.values()):
                raise DuplicatedStudyError(f"study {name!r} already exists")
            sid = max(max(self._studies, default=0), max(self._deleted, default=0)) + 1  # never reused
            self._studies[sid] = StudyRecord(sid, name, direction, _json(dict(attrs or {})),
                                             self._clock())
            self._trials[sid] = []
            self._tests[sid] = []
            self._waiting[sid] = []
            return sid

    def load_study(self, name: str) -> StudyRecord | None:
        with self._lock:
            for s in self._studies.values():
                if s.name == name:
                    return copy.deepcopy(s)
            return None

    def list_studies(self) -> list[StudyRecord]:
        with self._lock:
            return [copy.deepcopy(s) for s in self._studies.values()]

    def delete_study(self, name: str) -> None:
        with self._lock:
            rec = self.load_study(name)
            if rec is None:
                raise StudyNotFoundError(f"no study named {name!r}")
            for table in (self._studies, self._trials, self._tests, self._waiting):
                del table[rec.id]
            self._deleted.add(rec.id)
            self._views.pop(rec.id, None)
            self._stale.pop(rec.id, None)
            self._changes.pop(rec.id, None)
            self._updated.pop(rec.id, None)

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        self.merge_study_attr(study_id, key, lambda _old: value)

    def merge_study_attr(self, study_id: int, key: str, merge: Callable[[Any], Any]) -> Any:
        with self._lock:
            if study_id not in self._studies:  # deleted while in use: said as SQLStorage says it
                raise self._absent(study_id)
            attrs = self._studies[study_id].attrs
            attrs[key] = _json(merge(copy.deepcopy(attrs.get(key))))
            return attrs[key]

    def study_summaries(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for sid, rec in self._studies.items():
                counts: dict[str, int] = {}
                done: list[float] = []
                last = None
                for t in self._trials[sid]:
                    counts[t.state.value] = counts.get(t.state.value, 0) + 1
                    if t.state == TrialState.COMPLETE and t.value is not None and meets_constraints(t.system_attrs):
                        done.append(t.value)  # the best is a feasible one, as study.best_value's
                    changed = self._changed_at(sid, t)
                    if changed is not None and (last is None or changed > last):
                        last = changed
                best = (max(done) if rec.direction == "maximize" else min(done)) if done else None
                out.append(summarize_study(copy.deepcopy(rec), counts, best, last))
            return out

    def _changed_at(self, study_id: int, t: FrozenTrial) -> datetime | None:
        """When a trial last started, reported (its heartbeat), finished or otherwise changed."""
        stamps = [d for d in (t.datetime_start, self._heartbeats.get((study_id, t.number)), t.datetime_complete,
                              self._updated.get(study_id, {}).get(t.number)) if d is not None]
        return max(stamps) if stamps else None

    # trials ---------------------------------------------------------------------------
    def _absent(self, study_id: int) -> StudyNotFoundError:
        return study_gone(study_id) if study_id in self._deleted else StudyNotFoundError(f"no study with id {study_id}")

    def _lookup(self, study_id: int, number: int) -> FrozenTrial:
        try:
            if number < 0:  # a list index from the end, not a trial: -1 would be the last trial
                raise IndexError(number)
            return self._trials[study_id][number]
        except (KeyError, IndexError):
            raise missing_trial(study_id, number, study_exists=study_id not in self._deleted) from None

    def _trial(self, study_id: int, number: int) -> FrozenTrial:
        """The stored trial, for a change: its shared read-only view is renewed on the next read."""
        t = self._lookup(study_id, number)
        if number < len(self._views.get(study_id, ())):
            self._stale.setdefault(study_id, set()).add(number)
        self._updated.setdefault(study_id, {})[number] = self._clock()
        return t

    def _running(self, study_id: int, number: int, claim: int | None = None) -> FrozenTrial:
        check_claim(number, self._lookup(study_id, number).system_attrs, claim)
        t = self._trial(study_id, number)
        if t.state != TrialState.RUNNING:
            raise TrialStateError(f"trial {number} is {t.state.value}, not running")
        return t

    def create_trial(self, study_id: int, *, state: TrialState = TrialState.RUNNING,
                     params: Mapping[str, Any] | None = None,
                     distributions: Mapping[str, Distribution] | None = None,
                     system_attrs: Mapping[str, Any] | None = None,
                     datetime_start: datetime | None = None) -> int:
        with self._lock:
            if study_id not in self._trials:
                raise self._absent(study_id)
            trials = self._trials[study_id]
            number = len(trials)
            now = self._clock()
            self._updated.setdefault(study_id, {})[number] = now
            running = state == TrialState.RUNNING
            trials.append(FrozenTrial(
                number=number, state=TrialState(state), params=_json(dict(params or {})),
                distributions=dict(distributions or {}),
                system_attrs=_json(dict(system_attrs or {})),
                datetime_start=(datetime_start or now) if running else None))
            if running:
                self._heartbeats[(study_id, number)] = now  # an old start is not a silence
            if state == TrialState.WAITING:
                heapq.heappush(self._waiting[study_id], number)
            return number

    def claim_trial(self, study_id: int, *, max_trials: int | None = None,
                    system_attrs: Mapping[str, Any] | None = None,
                    waiting_only: bool = False, number: int | None = None,
                    heartbeat: bool = True) -> FrozenTrial | None:
        with self._lock:
            if study_id not in self._trials:
                raise self._absent(study_id)
            trials = self._trials[study_id]
            if max_trials is not None and len(trials) - len(self._waiting[study_id]) >= max_trials:
                return None
            if number is not None:
                return self._claim_named(study_id, number, system_attrs, heartbeat)
            number = self.claim_waiting_trial(study_id)
            if number is None and waiting_only:
                return None
            if number is None:
                number = self.create_trial(study_id, system_attrs={CLAIM: 1})
            t = self._trial(study_id, number)
            if system_attrs:
                t.system_attrs.update(_json(dict(system_attrs)))
            if not heartbeat:  # stamped as it started above; this one is never found silent
                self._heartbeats.pop((study_id, number), None)
            # What the caller needs of a trial that just started: no metrics, fresh dicts.
            return FrozenTrial(number=number, state=t.state, params=_json(t.params),
                               system_attrs=_json(t.system_attrs), datetime_start=t.datetime_start)

    def recover_trial(self, study_id: int, number: int, reason: str, *,
                      max_retries: int = 0, counted: bool = True) -> TrialState | None:
        with self._lock:
            t = self._trial(study_id, number)
            if t.state != TrialState.RUNNING:
                return None
            state, attrs, error = interruption_outcome(t.system_attrs, reason, max_retries, counted=counted,
                                                       params=t.params)
            if state == TrialState.WAITING:
                self._trials[study_id][number] = FrozenTrial(number=number, state=state, system_attrs=attrs,
                                                             user_attrs=dict(attrs.get(ENQUEUED_USER_ATTRS, {})))
                heapq.heappush(self._waiting[study_id], number)
                self._heartbeats.pop((study_id, number), None)
            else:
                t.state, t.system_attrs, t.error, t.value = state, attrs, error, None
                t.datetime_complete = self._clock()
            return state

    def recover_stale_trials(self, study_id: int, grace_seconds: float, *, max_retries: int = 0,
                             now: datetime | None = None) -> dict[int, TrialState]:
        cutoff = (now or self._clock()) - timedelta(seconds=float(grace_seconds))
        reason = f"no heartbeat for {grace_seconds:g}s: its worker vanished"
        with self._lock:
            # A trial without a heartbeat stamp (``Study.ask``'s) has no process to go silent.
            stale = [t.number for t in self._trials[study_id] if t.state == TrialState.RUNNING
                     and (self._heartbeats.get((study_id, t.number)) or cutoff) < cutoff]
            out = {}
            for number in stale:
                state = self.recover_trial(study_id, number, reason, max_retries=max_retries)
                assert state is not None
                out[number] = state
            return out

    def _claim_named(self, study_id: int, number: int, system_attrs: Mapping[str, Any] | None,
                     heartbeat: bool = True) -> FrozenTrial | None:
        waiting = self._waiting[study_id]
        if number not in waiting:
            return None
        waiting.remove(number)
        heapq.heapify(waiting)
        t = self._trial(study_id, number)
        t.state, t.datetime_start = TrialState.RUNNING, self._clock()
        t.system_attrs = next_claim(t.system_attrs)
        if system_attrs:
            t.system_attrs.update(_json(dict(system_attrs)))
        if heartbeat:
            self._heartbeats[(study_id, number)] = t.datetime_start
        return FrozenTrial(number=number, state=t.state, params=_json(t.params),
                           system_attrs=_json(t.system_attrs), datetime_start=t.datetime_start)

    def claim_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            waiting = self._waiting[study_id]
            if not waiting:
                return None
            t = self._trial(study_id, heapq.heappop(waiting))
            t.state, t.system_attrs = TrialState.RUNNING, next_claim(t.system_attrs)
            t.datetime_start = self._clock()
            self._heartbeats[(study_id, t.number)] = t.datetime_start
            return t.number

    def set_trial_params(self, study_id: int, number: int, params: Mapping[str, Any],
                         distributions: Mapping[str, Distribution], *, claim: int | None = None) -> None:
        with self._lock:
            t = self._running(study_id, number, claim)
            t.params.update(_json(dict(params)))
            t.distributions.update(distributions)

    def report(self, study_id: int, number: int, step: int, value: float | None,
               metrics: Mapping[str, Any] | None = None, *, claim: int | None = None) -> None:
        record = None if metrics is None else _json(dict(metrics))  # refused before the value is kept
        with self._lock:
            t = self._running(study_id, number, claim)
            if (study_id, number) in self._heartbeats:  # an asked trial stays unwatched
                self._heartbeats[(study_id, number)] = self._clock()
            if value is not None and math.isfinite(value):
                t.intermediate_values[int(step)] = float(value)
            if record is not None:
                t.metrics = [m for m in t.metrics if m.get("step") != step]
                t.metrics.append({"step": int(step), **record})
                t.metrics.sort(key=lambda m: m["step"])

    def set_trial_user_attr(self, study_id: int, number: int, key: str, value: Any) -> None:
        self.set_trial_user_attrs(study_id, number, {key: value})

    def set_trial_user_attrs(self, study_id: int, number: int, attrs: Mapping[str, Any], *,
                             claim: int | None = None) -> None:
        plain = _json(dict(attrs))  # every value checked before any is stored
        with self._lock:
            check_claim(number, self._lookup(study_id, number).system_attrs, claim)
            self._trial(study_id, number).user_attrs.update(plain)

    def set_trial_system_attr(self, study_id: int, number: int, key: str, value: Any, *,
                              claim: int | None = None) -> None:
        with self._lock:
            check_claim(number, self._lookup(study_id, number).system_attrs, claim)
            self._trial(study_id, number).system_attrs[key] = _json(value)

    def heartbeat(self, study_id: int, number: int, *, claim: int | None = None) -> None:
        with self._lock:
            t = self._lookup(study_id, number)
            check_claim(number, t.system_attrs, claim)
            if t.state != TrialState.RUNNING:
                self._running(study_id, number)  # raises TrialStateError
            self._heartbeats[(study_id, number)] = self._clock()

    def finish_trial(self, study_id: int, number: int, state: TrialState, value: float | None = None,
                     error: str | None = None, *, datetime_complete: datetime | None = None,
                     claim: int | None = None) -> FrozenTrial:
        state = TrialState(state)
        if not state.is_finished():
            raise TrialStateError(f"{state.value} is not a finished state")
        with self._lock:
            t = self._running(study_id, number, claim)
            # An infinite value is kept (Optuna's objective may return inf); NaN is no value.
            known = value is not None and not math.isnan(value)
            t.state, t.value, t.error = state, (float(value) if known else None), error
            t.datetime_complete = datetime_complete or self._clock()
            return self._copy(t, False)

    def get_trial(self, study_id: int, number: int, *, with_metrics: bool = True) -> FrozenTrial:
        with self._lock:
            return self._copy(self._lookup(study_id, number), with_metrics)

    def get_trials(self, study_id: int, states: Iterable[TrialState] | None = None, *,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        wanted = None if states is None else {TrialState(s) for s in states}
        with self._lock:
            if study_id not in self._trials:
                raise self._absent(study_id)
            if with_metrics:
                return [self._copy(t, True) for t in self._trials[study_id]
                        if wanted is None or t.state in wanted]
            views = self._current_views(study_id)
            return list(views) if wanted is None else [v for v in views if v.state in wanted]

    def get_trials_since(self, study_id: int, since: datetime | None, *,
                         with_metrics: bool = False) -> TrialChanges:
        with self._lock:
            if study_id not in self._trials:
                raise self._absent(study_id)
            changed, latest = [], since
            updated = self._updated.get(study_id, {})
            for t in self._trials[study_id]:
                at = updated.get(t.number)
                if since is None or (at is not None and at >= since):
                    changed.append(self._copy(t, with_metrics))
                    latest = at if latest is None or (at is not None and at > latest) else latest
            return TrialChanges(changed, latest)

    def _current_views(self, study_id: int) -> list[FrozenTrial]:
        trials, views = self._trials[study_id], self._views.setdefault(study_id, [])
        for number in self._stale.pop(study_id, ()):
            views[number] = self._copy(trials[number], False)
        views.extend(self._copy(t, False) for t in trials[len(views):])
        return views

    _copy = staticmethod(_copy_trial)
