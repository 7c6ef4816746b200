"""Storages by Optuna's names: ``RDBStorage(url, heartbeat_interval=, grace_period=,
failed_trial_callback=)``, ``RetryFailedTrialCallback(max_retry=)`` and
``JournalStorage(journal.JournalFileBackend(path))`` (one append-only file, no server).

``RDBStorage`` is nntune's SQL storage with Optuna's heartbeat settings: while a trial of
``Study.optimize`` runs, a thread beats every ``heartbeat_interval`` seconds, and before each
trial starts, trials silent for ``grace_period`` seconds (their process died) are recovered.
With ``RetryFailedTrialCallback(max_retry=n)`` such a trial runs again, at most ``n`` times,
under its own number (nntune re-queues it; Optuna fails it and enqueues a copy); any other
callback is called with the study and the failed trial.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
from numbers import Real
from typing import Any, Protocol, runtime_checkable

from nntune.exceptions import ConfigError
from nntune.storage import InMemoryStorage, SQLStorage, Storage, open_failure
from nntune.storage import get_storage as _get_storage
from nntune.storages import journal  # storages.journal.JournalFileBackend, as Optuna's
from nntune.storages.journal import (BaseJournalLogStorage, JournalFileOpenLock, JournalFileStorage,
                                     JournalFileSymlinkLock, JournalRedisStorage, JournalStorage)
from nntune.trial import FrozenTrial


class RetryHeartbeatStaleTrialCallback:
    """Run a trial whose process died again, at most ``max_retry`` times (None: always).
    Optuna 4.9's name; ``RetryFailedTrialCallback``, the older one, is the same class."""

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0):
            raise ConfigError("max_retry", f"must be an integer >= 0 or None, got {max_retry!r}")
        if inherit_intermediate_values:
            raise ConfigError("inherit_intermediate_values", "a re-run trial starts its curve again")
        self.max_retry = max_retry

    @property
    def max_retries(self) -> int:
        return sys.maxsize if self.max_retry is None else self.max_retry

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        """Nothing to do after the fact: the storage re-queued the trial while retries were left."""

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The trial's own number once it has been re-run (nntune keeps the number)."""
        return trial.number if trial.system_attrs.get("retries") else None

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        return [trial.number] * int(trial.system_attrs.get("retries", 0))


RetryFailedTrialCallback = RetryHeartbeatStaleTrialCallback
FailedTrialCallback = Callable[[Any, FrozenTrial], None]


class RDBStorage(SQLStorage):
    """SQL storage (SQLite, PostgreSQL, ...) with Optuna's heartbeat arguments."""

    def __init__(self, url: str, engine_kwargs: Mapping[str, Any] | None = None,
                 skip_compatibility_check: bool = False, *, heartbeat_interval: int | None = None,
                 grace_period: int | None = None, failed_trial_callback: FailedTrialCallback | None = None,
                 skip_table_creation: bool = False,
                 heartbeat_stale_trial_callback: FailedTrialCallback | None = None) -> None:
        # Optuna 4.9 renamed failed_trial_callback to heartbeat_stale_trial_callback; take either.
        failed_trial_callback = failed_trial_callback or heartbeat_stale_trial_callback
        # The heartbeat thread waits this long between beats; the default grace (twice it) fits a timedelta then.
        _check_seconds("heartbeat_interval", heartbeat_interval, threading.TIMEOUT_MAX)
        _check_seconds("grace_period", grace_period, timedelta.max.total_seconds())
        if heartbeat_interval is None and (grace_period is not None or failed_trial_callback is not None):
            # Accepted, as Optuna does (a setting kept for when the heartbeat is turned on),
            # but said: without a heartbeat no trial is ever found silent.
            warnings.warn("heartbeat_interval: not given, so no heartbeat runs and grace_period and "
                          "failed_trial_callback have no effect", UserWarning, stacklevel=2)
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError("url", f"expected a database URL such as sqlite:///nntune.db, got {url!r}")
        if engine_kwargs is not None and not isinstance(engine_kwargs, Mapping):
            raise ConfigError("engine_kwargs", f"must be a dict of sqlalchemy.create_engine arguments, "
                                               f"got {type(engine_kwargs).__name__} {engine_kwargs!r}")
        try:
            super().__init__(url, engine_kwargs=engine_kwargs)
        except ConfigError:
            raise
        except Exception as err:  # as get_storage says it: a bad driver, a missing folder, no server
            raise ConfigError(_failed_field(err, engine_kwargs), open_failure(url, err)) from err
        self.heartbeat_interval = heartbeat_interval
        # Optuna's default grace: twice the interval.
        self.grace_period = grace_period if grace_period is not None or heartbeat_interval is None \
            else 2 * heartbeat_interval
        self.failed_trial_callback = failed_trial_callback

    # Optuna's getters of the heartbeat settings, which its integrations call on a storage.
    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_failed_trial_callback(self) -> FailedTrialCallback | None:
        return self.failed_trial_callback

    get_heartbeat_stale_trial_callback = get_failed_trial_callback

    def upgrade(self) -> None:
        """Optuna's schema upgrade: nothing left to do, since opening the storage already
        brought a database written by an earlier nntune up to date (``nntune storage upgrade``
        says what it changed)."""


def _check_seconds(name: str, value: Any, most: float) -> None:
    """Refuse, in one line, a heartbeat setting that is not a span of seconds up to ``most``:
    a bool, infinity, more than a wait or a ``timedelta`` holds. Accepted, they failed every
    later ``optimize`` with an OverflowError from the heartbeat or the stale-trial check,
    which named no setting."""
    if value is not None and not (isinstance(value, Real) and not isinstance(value, bool) and 0 < value <= most):
        raise ConfigError(name, f"must be a number of seconds > 0 and at most {most:.3g}, got {value!r}")


def _failed_field(err: BaseException, engine_kwargs: Mapping[str, Any] | None) -> str:
    """The field to blame when the database did not open: SQLAlchemy and the driver refuse an
    argument they do not take, or one of the wrong type, with a TypeError; anything else
    (a bad driver name, a missing folder, no server) is the URL's."""
    return "engine_kwargs" if engine_kwargs and isinstance(err, TypeError) else "url"


def recover_silent_trials(study: Any) -> None:
    """Before a trial starts: recover the study's trials silent past the storage's grace
    period (re-queued under a ``RetryFailedTrialCallback``, else failed and reported to
    the storage's ``failed_trial_callback``)."""
    storage = study.storage
    grace = getattr(storage, "grace_period", None)
    if grace is None or getattr(storage, "heartbeat_interval", None) is None:
        return  # no heartbeat, as in Optuna: a trial is never silent, however long it runs
    callback = getattr(storage, "failed_trial_callback", None)
    retries = callback.max_retries if isinstance(callback, RetryFailedTrialCallback) else 0
    outcome = storage.recover_stale_trials(study.id, grace, max_retries=retries)
    if callback is not None and not isinstance(callback, RetryFailedTrialCallback):
        for number, state in sorted(outcome.items()):
            if state.value == "failed":
                callback(study, storage.get_trial(study.id, number, with_metrics=False))


def fail_stale_trials(study: Any) -> None:
    """Optuna's name for it: the study's running trials whose heartbeat went silent past the
    storage's grace period are failed (or re-queued under ``RetryFailedTrialCallback``)
    now, as :func:`recover_silent_trials` does before every trial."""
    recover_silent_trials(study)


def get_storage(storage: str | Storage | None) -> Storage:
    """Optuna's ``storages.get_storage``: None is a new in-memory storage, a URL opens its
    storage (``sqlite:///``, ``postgresql://``, ``journal:///``), a storage is itself."""
    if isinstance(storage, str) and storage.startswith("redis"):
        raise ConfigError("storage", "Redis is not supported; use a sqlite:///, postgresql:// or journal:/// URL")
    return _get_storage(storage)


class GrpcStorageProxy:
    """Optuna's client of a storage served over gRPC, which nntune has no server for: one line."""

    def __init__(self, *, host: str = "localhost", port: int = 13000) -> None:
        raise ConfigError("storage", "GrpcStorageProxy needs a gRPC storage server, which nntune does not "
                                     "support; share an RDBStorage(url) or a JournalStorage file instead")


def run_grpc_proxy_server(storage: Storage, *, host: str = "localhost", port: int = 13000,
                          thread_pool: Any = None) -> None:
    """Optuna's gRPC storage server, which nntune does not have: one line."""
    raise ConfigError("storage", "run_grpc_proxy_server: nntune has no gRPC storage server; share an "
                                 "RDBStorage(url) or a JournalStorage file instead")


@runtime_checkable
class BaseStorage(Protocol):
    """Optuna's name for the interface every storage implements. ``isinstance(storage,
    storages.BaseStorage)`` holds for each of nntune's storages, as Optuna's scripts check it
    (nntune's whole interface is :class:`nntune.storage.Storage`)."""

    def create_study(self, name: str, direction: str, attrs: Mapping[str, Any] | None = None) -> int: ...
    def load_study(self, name: str) -> Any: ...
    def claim_trial(self, study_id: int, *, max_trials: int | None = None, **kwargs: Any) -> Any: ...
    def get_trials(self, study_id: int, states: Any = None, **kwargs: Any) -> list[FrozenTrial]: ...
    def get_all_trials(self, study_id: int, deepcopy: bool = True, states: Any = None) -> list[FrozenTrial]: ...


__all__ = ["BaseJournalLogStorage", "BaseStorage", "GrpcStorageProxy", "InMemoryStorage", "JournalFileOpenLock",
           "JournalFileStorage", "JournalFileSymlinkLock", "JournalRedisStorage", "JournalStorage", "RDBStorage",
           "RetryFailedTrialCallback", "RetryHeartbeatStaleTrialCallback", "Storage", "fail_stale_trials",
           "get_storage", "recover_silent_trials", "run_grpc_proxy_server"]
