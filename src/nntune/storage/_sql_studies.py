"""SQLStorage's study methods (create, load, list, delete, attributes), kept apart so sql.py
stays readable. A base class of SQLStorage: each method runs one transaction through the
storage's ``_tx`` and stamps times with its ``now``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from nntune.exceptions import ConfigError
from nntune.storage._base import DuplicatedStudyError, StudyNotFoundError, StudyRecord, StudySummary, study_gone
from nntune.storage._schema import param_changes, steps, studies, test_evals, trials
from nntune.storage._sql_rows import _dumps, _study, name_problem, never_stored
from nntune.storage._sql_watch import summaries


class StudyMethods:
    """The study half of SQLStorage; the transactions and the clock are SQLStorage's."""

    _tx: Callable[..., Any]  # SQLStorage._tx(fn, *, read_only=False)
    now: Callable[[], datetime]

    def create_study(self, name: str, direction: str, attrs: Mapping[str, Any] | None = None) -> int:
        problem = name_problem(name, studies.c.name.type.length)
        if problem is not None:
            raise ConfigError("study_name", problem)

        def run(conn: Connection) -> int:
            res = conn.execute(studies.insert().values(
                name=name, direction=direction, attrs=_dumps(dict(attrs or {})), created_at=self.now()))
            return int(res.inserted_primary_key[0])
        try:
            return self._tx(run)
        except IntegrityError:
            raise DuplicatedStudyError(f"study {name!r} already exists") from None

    def load_study(self, name: str) -> StudyRecord | None:
        if never_stored(name):  # no study has one (create_study refuses it), and a query would fail
            return None

        def run(conn: Connection) -> StudyRecord | None:
            row = conn.execute(sa.select(studies).where(studies.c.name == name)).first()
            return None if row is None else _study(row)
        return self._tx(run, read_only=True)

    def list_studies(self) -> list[StudyRecord]:
        return self._tx(lambda conn: [_study(r) for r in conn.execute(
            sa.select(studies).order_by(studies.c.id))], read_only=True)

    def delete_study(self, name: str) -> None:
        def run(conn: Connection) -> None:
            row = None if never_stored(name) else conn.execute(
                sa.select(studies.c.id).where(studies.c.name == name)).first()
            if row is None:
                raise StudyNotFoundError(f"no study named {name!r}")
            ids = sa.select(trials.c.id).where(trials.c.study_id == row.id)
            conn.execute(steps.delete().where(steps.c.trial_id.in_(ids)))
            conn.execute(param_changes.delete().where(param_changes.c.trial_id.in_(ids)))
            conn.execute(trials.delete().where(trials.c.study_id == row.id))
            conn.execute(test_evals.delete().where(test_evals.c.study_id == row.id))
            conn.execute(studies.delete().where(studies.c.id == row.id))
        self._tx(run)

    def study_summaries(self) -> list[StudySummary]:
        return self._tx(lambda conn: summaries(conn, [_study(r) for r in conn.execute(
            sa.select(studies).order_by(studies.c.id))]), read_only=True)

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        self.merge_study_attr(study_id, key, lambda _old: value)

    def merge_study_attr(self, study_id: int, key: str, merge: Callable[[Any], Any]) -> Any:
        def run(conn: Connection) -> Any:
            row = conn.execute(sa.select(studies.c.attrs).where(studies.c.id == study_id)
                               .with_for_update()).first()
            if row is None:
                raise study_gone(study_id)
            attrs = json.loads(row.attrs)
            attrs[key] = json.loads(_dumps(merge(attrs.get(key))))
            conn.execute(studies.update().where(studies.c.id == study_id).values(attrs=_dumps(attrs)))
            return attrs[key]
        return self._tx(run)
