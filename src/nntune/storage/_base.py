"""The storage seam: the single source of truth for studies, trials and test evaluations.

Everything a sampler or scheduler decides is a function of what storage returns, so any
process that shares a storage can ask, report and tell. Values cross this boundary as JSON
(never pickle): parameters, distributions, per-step metric records, attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from nntune.space import Distribution
from nntune.trial import FrozenTrial, TrialState


class DuplicatedStudyError(ValueError):
    """``create_study`` found a study of that name already."""


class StudyNotFoundError(KeyError):
    """No study of that name in this storage."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it one plain line
        return str(self.args[0]) if self.args else "study not found"


class TrialStateError(RuntimeError):
    """A write that the trial's state forbids (e.g. reporting to a finished trial)."""


@dataclass(frozen=True)
class StudyRecord:
    id: int
    name: str
    direction: str
    attrs: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Storage(Protocol):
    """What every storage does; ``tests/storage`` runs one contract suite against each."""

    url: str

    def create_study(self, name: str, direction: str, attrs: Mapping[str, Any] | None = None) -> int: ...
    def load_study(self, name: str) -> StudyRecord | None: ...
    def list_studies(self) -> list[StudyRecord]: ...
    def delete_study(self, name: str) -> None: ...
    def set_study_attr(self, study_id: int, key: str, value: Any) -> None: ...

    def create_trial(self, study_id: int, *, state: TrialState = TrialState.RUNNING,
                     params: Mapping[str, Any] | None = None,
                     distributions: Mapping[str, Distribution] | None = None,
                     system_attrs: Mapping[str, Any] | None = None) -> int:
        """Add a trial and return its number (0, 1, 2, ... per study, never reused)."""
    def claim_waiting_trial(self, study_id: int) -> int | None:
        """Atomically move the oldest ``waiting`` trial to ``running``; its number or None."""
    def set_trial_params(self, study_id: int, number: int, params: Mapping[str, Any],
                         distributions: Mapping[str, Distribution]) -> None:
        """Add (or overwrite) parameters of a running trial, with their distributions."""
    def report(self, study_id: int, number: int, step: int, value: float | None,
               metrics: Mapping[str, Any] | None = None) -> None: ...
    def set_trial_user_attr(self, study_id: int, number: int, key: str, value: Any) -> None: ...
    def set_trial_system_attr(self, study_id: int, number: int, key: str, value: Any) -> None: ...
    def heartbeat(self, study_id: int, number: int) -> None: ...
    def finish_trial(self, study_id: int, number: int, state: TrialState, value: float | None = None,
                     error: str | None = None) -> None:
        """Move a running trial to a finished state; finishing twice raises TrialStateError."""
    def get_trial(self, study_id: int, number: int, *, with_metrics: bool = True) -> FrozenTrial: ...
    def get_trials(self, study_id: int, states: Iterable[TrialState] | None = None, *,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        """All trials in number order, in bulk; per-step metric records only on request."""

    def record_test_evaluation(self, study_id: int, trial_number: int,
                               metrics: Mapping[str, Any]) -> int:
        """Record one look at the sealed test split; returns how many looks there have been."""
    def get_test_evaluations(self, study_id: int) -> list[dict[str, Any]]: ...
