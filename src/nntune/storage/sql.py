"""Relational storage through SQLAlchemy: SQLite by default, PostgreSQL for many machines.

Short transactions, one per call. On SQLite every writing transaction starts with BEGIN
IMMEDIATE (so two writers never deadlock on a lock upgrade) in WAL mode with a busy timeout,
and reads take a deferred BEGIN; on PostgreSQL a row lock on the study serializes the
numbering of new trials. Calls that still meet a lock or a dropped connection are retried
with backoff. Error messages name the database by its redacted URL (no password).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from nntune.exceptions import ConfigError
from nntune.logging import get_logger
from nntune.space import Distribution
from nntune.storage._base import (OptunaStorageReads, ParamChange, StorageFull, TrialChanges, TrialStateError,
                                  check_claim, missing_trial, study_gone, utcnow)
from nntune.storage import _sql_changes as _changes
from nntune.storage import _sql_claims as _claims
from nntune.storage._engines import (LOCK_NOTICE_AFTER, READ_ONLY, create_schema, is_connect_timeout,
                                     is_disk_full, is_in_memory_sqlite, is_lock_wait, is_read_only, is_transient, lock_wait_message,
                                     make_engine, redact_url, refusal, release_interrupted_cursor, server_skew,
                                     sqlite_lock_file)
from nntune.storage._lock_watch import LOCKS
from nntune.storage._schema import meta, migrate, never_reuse_study_ids, steps, studies, test_evals, trials
from nntune.storage._recognize import refuse_foreign
from nntune.storage._sql_rows import DecodedTrials, _dumps, _finite, _told, _trial, plain_text
from nntune.storage._sql_rows import _distributions, _json_default, _object  # noqa: F401 (still importable from here)
from nntune.storage._sql_studies import StudyMethods
from nntune.storage._sql_watch import changed_rows
from nntune.trial import FrozenTrial, TrialState

T = TypeVar("T")
_log = get_logger("nntune.storage")


class SQLStorage(StudyMethods, OptunaStorageReads):
    """Storage in any SQLAlchemy database (``sqlite:///path.db``, ``postgresql://...``)."""

    def __init__(self, url: str, *, retries: int = 20, engine_kwargs: Mapping[str, Any] | None = None,
                 existing: bool = False, clock: Callable[[], datetime] = utcnow) -> None:
        """``existing``: refuse a database without nntune's tables rather than create them.
        ``clock``: this machine's UTC time, corrected to the database server's (:meth:`now`)."""
        self.url = url
        self._retries = retries
        self._clock = clock
        self._skew = timedelta(0)
        self._engine_kwargs = dict(engine_kwargs or {})
        self.engine = make_engine(url, self._engine_kwargs)
        self._lock_path = sqlite_lock_file(self.engine)  # the file whose lock a long wait is looked at
        # An in-memory SQLite database is one shared connection: take turns on it.
        self._serial = threading.Lock() if is_in_memory_sqlite(url) else None
        # Trials as last decoded by get_trials, with the rows they came from.
        self._decoded = DecodedTrials()
        # A wrong address should fail in about a second, not after the full retry budget, and
        # a server that does not answer after one connect timeout, not after four.
        # Another program's database is refused before anything is written to it.
        try:
            self._retry(lambda: create_schema(self.engine, meta, lambda conn: migrate(conn, self._clock()),
                                              lambda conn: refuse_foreign(conn, url, existing=existing)),
                        attempts=4, final=is_connect_timeout)
            if self.engine.dialect.name == "sqlite" and self._serial is None:  # a database in memory is always new
                self._retry(self._never_reuse_study_ids)
            if self.engine.dialect.name != "sqlite":
                self._skew = self._retry(lambda: server_skew(self.engine, self._clock))
        except BaseException:
            self.engine.dispose()  # close the file or the server connection now, not at garbage collection
            raise

    def _never_reuse_study_ids(self) -> None:
        """An older SQLite file's studies table rebuilt with AUTOINCREMENT; one this process
        may only read stays as it is, since no study is created or deleted through it."""
        try:
            never_reuse_study_ids(self.engine, READ_ONLY)
        except DBAPIError as err:
            if not is_read_only(err):
                raise

    def now(self) -> datetime:
        """The database's UTC time as this machine reads it: what every timestamp is written in."""
        return self._clock() + self._skew

    # Pickled as its URL and settings, as Optuna's RDBStorage is: a study handed to another
    # process (a ProcessPoolExecutor's study.optimize, joblib, Dask) opens its own connections.
    def __getstate__(self) -> dict[str, Any]:
        if self._serial is not None:
            raise TypeError("an in-memory SQLite database lives in this process's connection; store the "
                            "study in a file (sqlite:///study.db) to share it with another process")
        state = self.__dict__.copy()
        for own in ("engine", "_lock_path", "_decoded"):
            del state[own]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.engine = make_engine(self.url, self._engine_kwargs)
        self._lock_path = sqlite_lock_file(self.engine)
        self._decoded = DecodedTrials()

    # plumbing -------------------------------------------------------------------------
    def _retry(self, fn: Callable[[], T], *, attempts: int | None = None,
               final: Callable[[DBAPIError], bool] | None = None) -> T:
        """``fn()``, again after a transient error (unless ``final`` says not this one)."""
        attempts = attempts or self._retries
        delay, start = 0.01, time.monotonic()
        # One SQLite call waits up to 30 s on a lock: the watch says so after a few seconds.
        with LOCKS.watching(self.url, self._lock_path, LOCK_NOTICE_AFTER, attempts - 1) as retrying:
            for attempt in range(attempts):
                try:
                    return fn()
                except DBAPIError as err:
                    refused = refusal(err)
                    if refused is not None:  # bad input, not a crash: one line that names the storage
                        refuse = StorageFull if is_disk_full(err) else ConfigError
                        raise refuse("storage", f"{redact_url(self.url)} {refused}") from err
                    if attempt == attempts - 1 or not is_transient(err) or (final is not None and final(err)):
                        raise
                    waited = time.monotonic() - start
                    if is_lock_wait(err) and waited >= LOCK_NOTICE_AFTER:  # else minutes of silence
                        _log.warning(lock_wait_message(self.url, waited, attempts - attempt - 1))
                    retrying(attempts - attempt - 2)
                    time.sleep(delay)
                    delay = min(1.0, delay * 2)
        raise AssertionError("unreachable")

    def _tx(self, fn: Callable[[Connection], T], *, read_only: bool = False) -> T:
        def run() -> T:
            try:
                with self._serial or contextlib.nullcontext(), self.engine.connect() as conn:
                    if read_only:
                        conn.execution_options(**{READ_ONLY: True})
                    with conn.begin():
                        return fn(conn)
            except BaseException as err:
                if not isinstance(err, Exception):
                    release_interrupted_cursor(err)
                raise
        return self._retry(run)

    def _trial_row(self, conn: Connection, study_id: int, number: int, claim: int | None = None) -> Any:
        """The trial's row; with ``claim``, locked (no recovery or claim slips in before the
        write) and refused unless that claim still holds the trial."""
        q = sa.select(trials).where(trials.c.study_id == study_id, trials.c.number == number)
        row = conn.execute(q if claim is None else q.with_for_update()).first()
        if row is None:
            raise self._missing(conn, study_id, number)
        if claim is not None:
            check_claim(number, json.loads(row.system_attrs), claim)
        return row

    def _missing(self, conn: Connection, study_id: int, number: int) -> KeyError:
        exists = conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)).first() is not None
        return missing_trial(study_id, number, study_exists=exists)

    @staticmethod
    def _study_exists(conn: Connection, study_id: int) -> None:
        """Raise StudyNotFoundError when the study was deleted (ids come from the storage)."""
        if conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)).first() is None:
            raise study_gone(study_id)

    def _running_row(self, conn: Connection, study_id: int, number: int, claim: int | None = None) -> Any:
        row = self._trial_row(conn, study_id, number, claim)
        if row.state != TrialState.RUNNING.value:
            raise TrialStateError(f"trial {number} is {row.state}, not running")
        return row

    # trials ---------------------------------------------------------------------------
    def create_trial(self, study_id: int, *, state: TrialState = TrialState.RUNNING,
                     params: Mapping[str, Any] | None = None,
                     distributions: Mapping[str, Distribution] | None = None,
                     system_attrs: Mapping[str, Any] | None = None,
                     datetime_start: datetime | None = None) -> int:
        state = TrialState(state)

        def run(conn: Connection) -> int:
            # Lock the study row so concurrent creators number their trials one at a time.
            if conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)
                            .with_for_update()).first() is None:
                raise study_gone(study_id)
            last = conn.execute(sa.select(sa.func.max(trials.c.number))
                                .where(trials.c.study_id == study_id)).scalar()
            number = 0 if last is None else int(last) + 1
            updated = self.now()
            now = updated if state == TrialState.RUNNING else None
            conn.execute(trials.insert().values(
                study_id=study_id, number=number, state=state.value,
                params=_dumps(dict(params or {})),
                distributions=_dumps({k: d.to_json() for k, d in (distributions or {}).items()}),
                user_attrs="{}", system_attrs=_dumps(dict(system_attrs or {})),
                datetime_start=(datetime_start or now) if now is not None else None, heartbeat=now,
                updated=updated))
            return number
        return self._tx(run)

    def claim_waiting_trial(self, study_id: int) -> int | None:
        return self._tx(lambda conn: _claims.claim_waiting(conn, study_id, self.now()))

    def claim_trial(self, study_id: int, *, max_trials: int | None = None,
                    system_attrs: Mapping[str, Any] | None = None,
                    waiting_only: bool = False, number: int | None = None,
                    heartbeat: bool = True) -> FrozenTrial | None:
        extra = dict(system_attrs or {})
        return self._tx(lambda conn: _claims.claim(conn, study_id, extra, max_trials=max_trials,
                                                   waiting_only=waiting_only, number=number, now=self.now(),
                                                   heartbeat=heartbeat))

    def recover_trial(self, study_id: int, number: int, reason: str, *,
                      max_retries: int = 0, counted: bool = True) -> TrialState | None:
        def run(conn: Connection) -> TrialState | None:
            row = conn.execute(sa.select(trials).where(
                trials.c.study_id == study_id, trials.c.number == number).with_for_update()).first()
            if row is None:
                raise self._missing(conn, study_id, number)
            if row.state != TrialState.RUNNING.value:
                return None
            return _claims.recover(conn, row, reason, max_retries, counted=counted, now=self.now())
        return self._tx(run)

    def recover_stale_trials(self, study_id: int, grace_seconds: float, *, max_retries: int = 0,
                             now: datetime | None = None) -> dict[int, TrialState]:
        cutoff = (now or self.now()) - timedelta(seconds=float(grace_seconds))
        reason = f"no heartbeat for {grace_seconds:g}s: its worker vanished"

        def run(conn: Connection) -> dict[int, TrialState]:
            # A trial without a heartbeat stamp (``Study.ask``'s) has no process to go silent.
            rows = conn.execute(sa.select(trials).where(
                trials.c.study_id == study_id, trials.c.state == TrialState.RUNNING.value,
                trials.c.heartbeat.is_not(None), trials.c.heartbeat < cutoff)
                .order_by(trials.c.number).with_for_update()).all()
            return {int(r.number): _claims.recover(conn, r, reason, max_retries, now=self.now()) for r in rows}
        return self._tx(run)

    def _update_json(self, study_id: int, number: int, updates: Mapping[str, Mapping[str, Any]],
                     *, running: bool, claim: int | None = None) -> None:
        """Merge ``updates[column]`` into the JSON object stored in each ``column``."""
        def run(conn: Connection) -> None:
            row = (self._running_row if running else self._trial_row)(conn, study_id, number, claim)
            values = {col: _dumps({**json.loads(getattr(row, col)), **new}) for col, new in updates.items()}
            conn.execute(trials.update().where(trials.c.id == row.id).values(**values, updated=self.now()))
        self._tx(run)

    def set_trial_params(self, study_id: int, number: int, params: Mapping[str, Any],
                         distributions: Mapping[str, Distribution], *, claim: int | None = None) -> None:
        self._update_json(study_id, number, {
            "params": dict(params),
            "distributions": {k: d.to_json() for k, d in distributions.items()}}, running=True, claim=claim)

    def report(self, study_id: int, number: int, step: int, value: float | None,
               metrics: Mapping[str, Any] | None = None, *, claim: int | None = None) -> None:
        def run(conn: Connection) -> None:
            row = self._running_row(conn, study_id, number, claim)
            conn.execute(steps.delete().where(steps.c.trial_id == row.id, steps.c.step == int(step)))
            conn.execute(steps.insert().values(
                trial_id=row.id, step=int(step), value=_finite(value) if value is not None else None,
                metrics=None if metrics is None else _dumps(dict(metrics))))
            now = self.now()
            # A report is a heartbeat only of a trial that has one: an asked trial stays unwatched.
            beat = {"heartbeat": now} if row.heartbeat is not None else {}
            conn.execute(trials.update().where(trials.c.id == row.id).values(**beat, updated=now))
        self._tx(run)

    def set_trial_user_attr(self, study_id: int, number: int, key: str, value: Any) -> None:
        self.set_trial_user_attrs(study_id, number, {key: value})

    def set_trial_user_attrs(self, study_id: int, number: int, attrs: Mapping[str, Any], *,
                             claim: int | None = None) -> None:
        self._update_json(study_id, number, {"user_attrs": dict(attrs)}, running=False, claim=claim)

    def set_trial_system_attr(self, study_id: int, number: int, key: str, value: Any, *,
                              claim: int | None = None) -> None:
        self._update_json(study_id, number, {"system_attrs": {key: value}}, running=False, claim=claim)

    def heartbeat(self, study_id: int, number: int, *, claim: int | None = None) -> None:
        def run(conn: Connection) -> None:
            if claim is not None:
                self._running_row(conn, study_id, number, claim)  # refused unless the claim still holds
            res = conn.execute(trials.update().where(
                trials.c.study_id == study_id, trials.c.number == number,
                trials.c.state == TrialState.RUNNING.value).values(heartbeat=self.now()))
            if res.rowcount != 1:
                self._running_row(conn, study_id, number)  # raises KeyError or TrialStateError
        self._tx(run)

    def finish_trial(self, study_id: int, number: int, state: TrialState, value: float | None = None,
                     error: str | None = None, *, datetime_complete: datetime | None = None,
                     claim: int | None = None) -> FrozenTrial:
        state = TrialState(state)
        if not state.is_finished():
            raise TrialStateError(f"{state.value} is not a finished state")

        def run(conn: Connection) -> FrozenTrial:
            row = self._running_row(conn, study_id, number, claim)
            now = self.now()
            done = {"state": state.value, "value": _told(value), "error": plain_text(error),
                    "datetime_complete": datetime_complete or now}
            conn.execute(trials.update().where(trials.c.id == row.id).values(**done, updated=now))
            step_rows = conn.execute(sa.select(steps.c.step, steps.c.value).where(steps.c.trial_id == row.id)
                                     .order_by(steps.c.step)).all()
            return _trial(SimpleNamespace(**{**row._mapping, **done}), step_rows, False)
        return self._tx(run)

    def get_trial(self, study_id: int, number: int, *, with_metrics: bool = True) -> FrozenTrial:
        def run(conn: Connection) -> FrozenTrial:
            row = self._trial_row(conn, study_id, number)
            step_rows = conn.execute(sa.select(steps).where(steps.c.trial_id == row.id)
                                     .order_by(steps.c.step)).all()
            return _trial(row, step_rows, with_metrics)
        return self._tx(run, read_only=True)

    def get_trials(self, study_id: int, states: Iterable[TrialState] | None = None, *,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        wanted = None if states is None else [TrialState(s).value for s in states]

        def run(conn: Connection) -> list[FrozenTrial]:
            q = sa.select(trials).where(trials.c.study_id == study_id).order_by(trials.c.number)
            if wanted is not None:
                q = q.where(trials.c.state.in_(wanted))
            rows = conn.execute(q).all()
            if not rows:  # a deleted study has no rows either: say it is gone, not empty
                self._study_exists(conn, study_id)
            if with_metrics:
                return self._decoded.read_with_metrics(conn, study_id, rows, wanted)
            return self._decoded.read(conn, study_id, rows, wanted)
        return self._tx(run, read_only=True)

    def get_trials_since(self, study_id: int, since: datetime | None, *,
                         with_metrics: bool = False) -> TrialChanges:
        def run(conn: Connection) -> TrialChanges:
            self._study_exists(conn, study_id)
            rows, by_trial, latest = changed_rows(conn, study_id, since, with_metrics)
            if with_metrics:
                return TrialChanges([_trial(r, by_trial.get(r.id, []), True) for r in rows], latest)
            return TrialChanges([self._decoded.decoded(r, by_trial.get(r.id, [])) for r in rows], latest)
        return self._tx(run, read_only=True)

    # changes while training ---------------------------------------------------------
    def add_param_changes(self, study_id: int, number: int, changes: Mapping[str, Any], *,
                          who: str = "user") -> list[ParamChange]:
        texts = {param: _dumps(new) for param, new in changes.items()}  # not JSON: nothing written
        _changes.check_names(texts)

        def run(conn: Connection) -> list[ParamChange]:
            row = self._trial_row(conn, study_id, number)
            if row.state not in (TrialState.RUNNING.value, TrialState.WAITING.value):
                raise TrialStateError(f"trial {number} is {row.state}, not running")
            return _changes.add(conn, row.id, number, texts, who)
        return self._tx(run)

    def take_param_changes(self, study_id: int, number: int, epoch: int,
                           current: Mapping[str, Any]) -> list[ParamChange]:
        values = json.loads(_dumps(dict(current)))
        # A read first, so the usual epoch without changes takes no write lock.
        if not self._tx(lambda conn: _changes.has_pending(conn, study_id, number), read_only=True):
            return []
        return self._tx(lambda conn: _changes.take(conn, self._trial_row(conn, study_id, number).id, number,
                                                   epoch, values, _dumps))

    def get_param_changes(self, study_id: int, number: int | None = None) -> list[ParamChange]:
        def run(conn: Connection) -> list[ParamChange]:
            listed = _changes.listed(conn, study_id, number)
            if not listed:
                self._study_exists(conn, study_id)
            return listed
        return self._tx(run, read_only=True)

    # the sealed test split ------------------------------------------------------------
    def record_test_evaluation(self, study_id: int, trial_number: int,
                               metrics: Mapping[str, Any]) -> int:
        def run(conn: Connection) -> int:
            self._study_exists(conn, study_id)  # no row for a deleted study (nor a foreign-key error)
            conn.execute(test_evals.insert().values(study_id=study_id, trial_number=trial_number,
                                                    created_at=self.now(), metrics=_dumps(dict(metrics))))
            return int(conn.execute(sa.select(sa.func.count()).select_from(test_evals)
                                    .where(test_evals.c.study_id == study_id)).scalar())
        return self._tx(run)

    def get_test_evaluations(self, study_id: int) -> list[dict[str, Any]]:
        def run(conn: Connection) -> list[dict[str, Any]]:
            self._study_exists(conn, study_id)
            rows = conn.execute(sa.select(test_evals).where(test_evals.c.study_id == study_id)
                                .order_by(test_evals.c.id))
            return [{"trial": r.trial_number, "time": r.created_at, "metrics": json.loads(r.metrics)}
                    for r in rows]
        return self._tx(run, read_only=True)
