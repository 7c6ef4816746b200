"""Relational storage through SQLAlchemy: SQLite by default, PostgreSQL for many machines.

Short transactions, one per call. On SQLite every transaction starts with BEGIN IMMEDIATE
(so two writers never deadlock on a lock upgrade) in WAL mode with a busy timeout; on
PostgreSQL a row lock on the study serializes the numbering of new trials. Writes that
still meet a lock are retried with backoff.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from nntune.space import Distribution, dist_from_json
from nntune.storage._base import (
    DuplicatedStudyError,
    StudyNotFoundError,
    StudyRecord,
    TrialStateError,
    utcnow,
)
from nntune.trial import FrozenTrial, TrialState

T = TypeVar("T")

meta = sa.MetaData()
studies = sa.Table(
    "studies", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(512), nullable=False, unique=True),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("attrs", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
trials = sa.Table(
    "trials", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("params", sa.Text, nullable=False, default="{}"),
    sa.Column("distributions", sa.Text, nullable=False, default="{}"),
    sa.Column("user_attrs", sa.Text, nullable=False, default="{}"),
    sa.Column("system_attrs", sa.Text, nullable=False, default="{}"),
    sa.Column("datetime_start", sa.DateTime, nullable=True),
    sa.Column("datetime_complete", sa.DateTime, nullable=True),
    sa.Column("heartbeat", sa.DateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="uq_trial_number"),
)
steps = sa.Table(
    "trial_steps", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("trials.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("metrics", sa.Text, nullable=True),
    sa.UniqueConstraint("trial_id", "step", name="uq_trial_step"),
)
test_evals = sa.Table(
    "test_evaluations", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    sa.Column("trial_number", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),
)
sa.Index("ix_trials_study_state", trials.c.study_id, trials.c.state)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=_json_default)


def _json_default(obj: Any) -> Any:
    # numpy scalars and the like: their Python equivalent
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


class SQLStorage:
    """Storage in any SQLAlchemy database (``sqlite:///path.db``, ``postgresql://...``)."""

    def __init__(self, url: str, *, retries: int = 20, engine_kwargs: Mapping[str, Any] | None = None) -> None:
        self.url = url
        self._retries = retries
        self.engine = _make_engine(url, dict(engine_kwargs or {}))
        # An in-memory SQLite database is one shared connection: take turns on it.
        self._serial = threading.Lock() if url in ("sqlite://", "sqlite:///:memory:") else None
        self._retry(lambda: meta.create_all(self.engine))

    # plumbing -------------------------------------------------------------------------
    def _retry(self, fn: Callable[[], T]) -> T:
        delay = 0.01
        for attempt in range(self._retries):
            try:
                return fn()
            except OperationalError as err:
                if attempt == self._retries - 1 or not _is_transient(err):
                    raise
                time.sleep(delay)
                delay = min(1.0, delay * 2)
        raise AssertionError("unreachable")

    def _tx(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self._serial or contextlib.nullcontext(), self.engine.begin() as conn:
                return fn(conn)
        return self._retry(run)

    def _trial_row(self, conn: Connection, study_id: int, number: int) -> Any:
        row = conn.execute(sa.select(trials).where(trials.c.study_id == study_id,
                                                   trials.c.number == number)).first()
        if row is None:
            raise KeyError(f"no trial {number} in study {study_id}")
        return row

    def _running_row(self, conn: Connection, study_id: int, number: int) -> Any:
        row = self._trial_row(conn, study_id, number)
        if row.state != TrialState.RUNNING.value:
            raise TrialStateError(f"trial {number} is {row.state}, not running")
        return row

    # studies --------------------------------------------------------------------------
    def create_study(self, name: str, direction: str, attrs: Mapping[str, Any] | None = None) -> int:
        def run(conn: Connection) -> int:
            res = conn.execute(studies.insert().values(
                name=name, direction=direction, attrs=_dumps(dict(attrs or {})), created_at=utcnow()))
            return int(res.inserted_primary_key[0])
        try:
            return self._tx(run)
        except IntegrityError:
            raise DuplicatedStudyError(f"study {name!r} already exists") from None

    def load_study(self, name: str) -> StudyRecord | None:
        def run(conn: Connection) -> StudyRecord | None:
            row = conn.execute(sa.select(studies).where(studies.c.name == name)).first()
            return None if row is None else _study(row)
        return self._tx(run)

    def list_studies(self) -> list[StudyRecord]:
        return self._tx(lambda conn: [_study(r) for r in conn.execute(
            sa.select(studies).order_by(studies.c.id))])

    def delete_study(self, name: str) -> None:
        def run(conn: Connection) -> None:
            row = conn.execute(sa.select(studies.c.id).where(studies.c.name == name)).first()
            if row is None:
                raise StudyNotFoundError(f"no study named {name!r}")
            ids = sa.select(trials.c.id).where(trials.c.study_id == row.id)
            conn.execute(steps.delete().where(steps.c.trial_id.in_(ids)))
            conn.execute(trials.delete().where(trials.c.study_id == row.id))
            conn.execute(test_evals.delete().where(test_evals.c.study_id == row.id))
            conn.execute(studies.delete().where(studies.c.id == row.id))
        self._tx(run)

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        def run(conn: Connection) -> None:
            row = conn.execute(sa.select(studies.c.attrs).where(studies.c.id == study_id)
                               .with_for_update()).first()
            if row is None:
                raise StudyNotFoundError(f"no study with id {study_id}")
            attrs = json.loads(row.attrs)
            attrs[key] = value
            conn.execute(studies.update().where(studies.c.id == study_id).values(attrs=_dumps(attrs)))
        self._tx(run)

    # trials ---------------------------------------------------------------------------
    def create_trial(self, study_id: int, *, state: TrialState = TrialState.RUNNING,
                     params: Mapping[str, Any] | None = None,
                     distributions: Mapping[str, Distribution] | None = None,
                     system_attrs: Mapping[str, Any] | None = None) -> int:
        state = TrialState(state)

        def run(conn: Connection) -> int:
            # Lock the study row so concurrent creators number their trials one at a time.
            if conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)
                            .with_for_update()).first() is None:
                raise StudyNotFoundError(f"no study with id {study_id}")
            last = conn.execute(sa.select(sa.func.max(trials.c.number))
                                .where(trials.c.study_id == study_id)).scalar()
            number = 0 if last is None else int(last) + 1
            now = utcnow() if state == TrialState.RUNNING else None
            conn.execute(trials.insert().values(
                study_id=study_id, number=number, state=state.value,
                params=_dumps(dict(params or {})),
                distributions=_dumps({k: d.to_json() for k, d in (distributions or {}).items()}),
                user_attrs="{}", system_attrs=_dumps(dict(system_attrs or {})),
                datetime_start=now, heartbeat=now))
            return number
        return self._tx(run)

    def claim_waiting_trial(self, study_id: int) -> int | None:
        def run(conn: Connection) -> int | None:
            row = conn.execute(sa.select(trials.c.id, trials.c.number)
                               .where(trials.c.study_id == study_id,
                                      trials.c.state == TrialState.WAITING.value)
                               .order_by(trials.c.number).limit(1).with_for_update()).first()
            if row is None:
                return None
            now = utcnow()
            # The state guard makes the claim safe even where row locks are not available.
            res = conn.execute(trials.update().where(trials.c.id == row.id,
                                                     trials.c.state == TrialState.WAITING.value)
                               .values(state=TrialState.RUNNING.value, datetime_start=now, heartbeat=now))
            return int(row.number) if res.rowcount == 1 else None
        return self._tx(run)

    def _update_json(self, study_id: int, number: int, updates: Mapping[str, Mapping[str, Any]],
                     *, running: bool) -> None:
        """Merge ``updates[column]`` into the JSON object stored in each ``column``."""
        def run(conn: Connection) -> None:
            row = (self._running_row if running else self._trial_row)(conn, study_id, number)
            values = {col: _dumps({**json.loads(getattr(row, col)), **new}) for col, new in updates.items()}
            conn.execute(trials.update().where(trials.c.id == row.id).values(**values))
        self._tx(run)

    def set_trial_params(self, study_id: int, number: int, params: Mapping[str, Any],
                         distributions: Mapping[str, Distribution]) -> None:
        self._update_json(study_id, number, {
            "params": dict(params),
            "distributions": {k: d.to_json() for k, d in distributions.items()}}, running=True)

    def report(self, study_id: int, number: int, step: int, value: float | None,
               metrics: Mapping[str, Any] | None = None) -> None:
        def run(conn: Connection) -> None:
            row = self._running_row(conn, study_id, number)
            conn.execute(steps.delete().where(steps.c.trial_id == row.id, steps.c.step == int(step)))
            conn.execute(steps.insert().values(
                trial_id=row.id, step=int(step), value=_finite(value) if value is not None else None,
                metrics=None if metrics is None else _dumps(dict(metrics))))
            conn.execute(trials.update().where(trials.c.id == row.id).values(heartbeat=utcnow()))
        self._tx(run)

    def set_trial_user_attr(self, study_id: int, number: int, key: str, value: Any) -> None:
        self._update_json(study_id, number, {"user_attrs": {key: value}}, running=False)

    def set_trial_system_attr(self, study_id: int, number: int, key: str, value: Any) -> None:
        self._update_json(study_id, number, {"system_attrs": {key: value}}, running=False)

    def heartbeat(self, study_id: int, number: int) -> None:
        def run(conn: Connection) -> None:
            row = self._running_row(conn, study_id, number)
            conn.execute(trials.update().where(trials.c.id == row.id).values(heartbeat=utcnow()))
        self._tx(run)

    def finish_trial(self, study_id: int, number: int, state: TrialState, value: float | None = None,
                     error: str | None = None) -> None:
        state = TrialState(state)
        if not state.is_finished():
            raise TrialStateError(f"{state.value} is not a finished state")

        def run(conn: Connection) -> None:
            row = self._running_row(conn, study_id, number)
            conn.execute(trials.update().where(trials.c.id == row.id).values(
                state=state.value, value=_finite(value), error=error, datetime_complete=utcnow()))
        self._tx(run)

    def get_trial(self, study_id: int, number: int, *, with_metrics: bool = True) -> FrozenTrial:
        def run(conn: Connection) -> FrozenTrial:
            row = self._trial_row(conn, study_id, number)
            step_rows = conn.execute(sa.select(steps).where(steps.c.trial_id == row.id)
                                     .order_by(steps.c.step)).all()
            return _trial(row, step_rows, with_metrics)
        return self._tx(run)

    def get_trials(self, study_id: int, states: Iterable[TrialState] | None = None, *,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        wanted = None if states is None else [TrialState(s).value for s in states]

        def run(conn: Connection) -> list[FrozenTrial]:
            q = sa.select(trials).where(trials.c.study_id == study_id).order_by(trials.c.number)
            if wanted is not None:
                q = q.where(trials.c.state.in_(wanted))
            rows = conn.execute(q).all()
            cols = [steps.c.trial_id, steps.c.step, steps.c.value] + ([steps.c.metrics] if with_metrics else [])
            step_q = (sa.select(*cols).join(trials, trials.c.id == steps.c.trial_id)
                      .where(trials.c.study_id == study_id).order_by(steps.c.trial_id, steps.c.step))
            if wanted is not None:
                step_q = step_q.where(trials.c.state.in_(wanted))
            by_trial: dict[int, list[Any]] = {}
            for s in conn.execute(step_q):
                by_trial.setdefault(s.trial_id, []).append(s)
            return [_trial(r, by_trial.get(r.id, []), with_metrics) for r in rows]
        return self._tx(run)

    # the sealed test split ------------------------------------------------------------
    def record_test_evaluation(self, study_id: int, trial_number: int,
                               metrics: Mapping[str, Any]) -> int:
        def run(conn: Connection) -> int:
            conn.execute(test_evals.insert().values(study_id=study_id, trial_number=trial_number,
                                                    created_at=utcnow(), metrics=_dumps(dict(metrics))))
            return int(conn.execute(sa.select(sa.func.count()).select_from(test_evals)
                                    .where(test_evals.c.study_id == study_id)).scalar())
        return self._tx(run)

    def get_test_evaluations(self, study_id: int) -> list[dict[str, Any]]:
        def run(conn: Connection) -> list[dict[str, Any]]:
            rows = conn.execute(sa.select(test_evals).where(test_evals.c.study_id == study_id)
                                .order_by(test_evals.c.id))
            return [{"trial": r.trial_number, "time": r.created_at, "metrics": json.loads(r.metrics)}
                    for r in rows]
        return self._tx(run)


def _study(row: Any) -> StudyRecord:
    return StudyRecord(row.id, row.name, row.direction, json.loads(row.attrs), row.created_at)


def _trial(row: Any, step_rows: list[Any], with_metrics: bool) -> FrozenTrial:
    metrics: list[dict[str, Any]] = []
    if with_metrics:
        metrics = [{"step": s.step, **json.loads(s.metrics)} for s in step_rows if s.metrics is not None]
    return FrozenTrial(
        number=row.number, state=TrialState(row.state), params=json.loads(row.params),
        distributions={k: dist_from_json(d) for k, d in json.loads(row.distributions).items()},
        value=row.value,
        intermediate_values={s.step: s.value for s in step_rows if s.value is not None},
        metrics=metrics, user_attrs=json.loads(row.user_attrs), system_attrs=json.loads(row.system_attrs),
        datetime_start=row.datetime_start, datetime_complete=row.datetime_complete, error=row.error)


def _is_transient(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return any(s in text for s in ("locked", "busy", "deadlock", "could not serialize",
                                   "connection", "server closed"))


def _make_engine(url: str, kwargs: dict[str, Any]) -> Engine:
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        if in_memory:
            kwargs.setdefault("poolclass", sa.pool.StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN
            cur = dbapi_conn.cursor()
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)
