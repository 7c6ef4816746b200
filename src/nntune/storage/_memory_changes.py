""":class:`nntune.storage.memory.InMemoryStorage`'s hyperparameter changes while training and
its record of looks at the sealed test split: two tables of their own beside the trials,
kept apart so memory.py stays readable."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from nntune.storage._base import ParamChange, StudyNotFoundError, TrialStateError, applied_changes
from nntune.storage._memory_copies import _json
from nntune.trial import FrozenTrial, TrialState


class MemoryChangesAndTests:
    """The methods; the state (the lock, the tables, the clock) is the storage's own."""

    _lock: threading.RLock
    _clock: Callable[[], datetime]
    _trials: dict[int, list[FrozenTrial]]
    _tests: dict[int, list[dict[str, Any]]]
    _changes: dict[int, list[ParamChange]]
    _change_ids: int
    _absent: Callable[[int], StudyNotFoundError]  # the error for a study id not (or no longer) there
    _lookup: Callable[[int, int], FrozenTrial]  # the stored trial, or the error for one not there

    # changes while training ---------------------------------------------------------
    def add_param_changes(self, study_id: int, number: int, changes: Mapping[str, Any], *,
                          who: str = "user") -> list[ParamChange]:
        with self._lock:
            t = self._lookup(study_id, number)
            if t.state not in (TrialState.RUNNING, TrialState.WAITING):
                raise TrialStateError(f"trial {number} is {t.state.value}, not running")
            values = _json(dict(changes))
            now, added = self._clock(), []
            for param, new in values.items():
                self._change_ids += 1
                added.append(ParamChange(self._change_ids, number, param, new, who, now))
            self._changes.setdefault(study_id, []).extend(added)
            return list(added)

    def take_param_changes(self, study_id: int, number: int, epoch: int,
                           current: Mapping[str, Any]) -> list[ParamChange]:
        with self._lock:
            self._lookup(study_id, number)
            rows = self._changes.get(study_id, [])
            pending = [c for c in rows if c.trial == number and c.pending]
            taken = applied_changes(pending, epoch, _json(dict(current)))
            by_id = {c.id: c for c in taken}
            self._changes[study_id] = [by_id.get(c.id, c) for c in rows]
            return taken

    def get_param_changes(self, study_id: int, number: int | None = None) -> list[ParamChange]:
        with self._lock:
            if study_id not in self._trials:
                raise self._absent(study_id)
            return [copy.deepcopy(c) for c in self._changes.get(study_id, [])
                    if number is None or c.trial == number]

    # the sealed test split ------------------------------------------------------------
    def record_test_evaluation(self, study_id: int, trial_number: int,
                               metrics: Mapping[str, Any]) -> int:
        with self._lock:
            if study_id not in self._tests:
                raise self._absent(study_id)
            evals = self._tests[study_id]
            evals.append({"trial": trial_number, "time": self._clock(), "metrics": _json(dict(metrics))})
            return len(evals)

    def get_test_evaluations(self, study_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if study_id not in self._tests:
                raise self._absent(study_id)
            return copy.deepcopy(self._tests[study_id])
