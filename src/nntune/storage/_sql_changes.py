"""The SQL of hyperparameter changes (``param_changes``), kept apart so sql.py stays readable.
Each function runs inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nntune.exceptions import ConfigError
from nntune.storage._base import ParamChange, applied_changes, utcnow
from nntune.storage._schema import param_changes, trials
from nntune.storage._sql_rows import name_problem


def check_names(params: Iterable[str]) -> None:
    """A ConfigError naming the first parameter whose name the table cannot hold."""
    for param in params:
        problem = name_problem(param, param_changes.c.param.type.length)
        if problem is not None:
            shown = param if len(param) <= 40 else f"{param[:40]}..."
            raise ConfigError(repr(shown), f"{problem}; such a parameter cannot be changed while training")


def add(conn: Connection, trial_id: int, number: int, texts: Mapping[str, str], who: str) -> list[ParamChange]:
    """Insert pending changes (values already JSON text) of the trial with row id ``trial_id``."""
    now, added = utcnow(), []
    for param, text in texts.items():
        res = conn.execute(param_changes.insert().values(trial_id=trial_id, param=param, new_value=text,
                                                         who=who, created_at=now))
        added.append(ParamChange(int(res.inserted_primary_key[0]), number, param, json.loads(text), who, now))
    return added


def has_pending(conn: Connection, study_id: int, number: int) -> bool:
    return conn.execute(
        sa.select(param_changes.c.id).join(trials, trials.c.id == param_changes.c.trial_id)
        .where(trials.c.study_id == study_id, trials.c.number == number, param_changes.c.epoch.is_(None))
        .limit(1)).first() is not None


def take(conn: Connection, trial_id: int, number: int, epoch: int, current: Mapping[str, Any],
         dumps: Any) -> list[ParamChange]:
    """Mark the trial's pending changes applied after ``epoch``, with their old values."""
    rows = conn.execute(sa.select(param_changes).where(
        param_changes.c.trial_id == trial_id, param_changes.c.epoch.is_(None)).order_by(param_changes.c.id)).all()
    taken = applied_changes([decode(r, number) for r in rows], epoch, current)
    for change in taken:
        conn.execute(param_changes.update().where(param_changes.c.id == change.id)
                     .values(epoch=epoch, old_value=dumps(change.old)))
    return taken


def listed(conn: Connection, study_id: int, number: int | None) -> list[ParamChange]:
    query = (sa.select(param_changes, trials.c.number).join(trials, trials.c.id == param_changes.c.trial_id)
             .where(trials.c.study_id == study_id).order_by(param_changes.c.id))
    if number is not None:
        query = query.where(trials.c.number == number)
    return [decode(r, r.number) for r in conn.execute(query)]


def decode(row: Any, number: int) -> ParamChange:
    old = None if row.old_value is None else json.loads(row.old_value)
    return ParamChange(row.id, number, row.param, json.loads(row.new_value), row.who, row.created_at,
                       row.epoch, old)
