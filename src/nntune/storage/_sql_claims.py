"""The SQL of claiming a trial to run and of recovering an interrupted one, kept apart so sql.py
stays readable. Each function runs inside the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nntune.storage._base import CLAIM, ENQUEUED_USER_ATTRS, interruption_outcome, next_claim, study_gone, utcnow
from nntune.storage._schema import steps, studies, trials
from nntune.storage._sql_rows import _dumps, _trial
from nntune.trial import FrozenTrial, TrialState


def claim_waiting(conn: Connection, study_id: int, now: datetime | None = None) -> int | None:
    """The number of the first waiting trial, now running; None when none waits or another took it.
    ``now``: the database's time (:meth:`SQLStorage.now`), stamped as its start and heartbeat."""
    row = conn.execute(sa.select(trials.c.id, trials.c.number, trials.c.system_attrs)
                       .where(trials.c.study_id == study_id,
                              trials.c.state == TrialState.WAITING.value)
                       .order_by(trials.c.number).limit(1).with_for_update()).first()
    if row is None:
        return None
    now = now or utcnow()
    # The state guard makes the claim safe even where row locks are not available.
    res = conn.execute(trials.update().where(trials.c.id == row.id,
                                             trials.c.state == TrialState.WAITING.value)
                       .values(state=TrialState.RUNNING.value, datetime_start=now, heartbeat=now,
                               system_attrs=_dumps(next_claim(json.loads(row.system_attrs))), updated=now))
    return int(row.number) if res.rowcount == 1 else None


def claim(conn: Connection, study_id: int, extra: dict[str, Any], *, max_trials: int | None,
          waiting_only: bool, number: int | None, now: datetime | None = None,
          heartbeat: bool = True) -> FrozenTrial | None:
    """A waiting trial (``number``, or the first) or else a new one, running with ``extra`` in
    its system attributes; None when the study holds ``max_trials`` or none waits. Not
    ``heartbeat``: no heartbeat stamp, so the trial is never found silent."""
    # The study's row lock makes counting, claiming and numbering one step.
    if conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)
                    .with_for_update()).first() is None:
        raise study_gone(study_id)
    if max_trials is not None:
        held = conn.execute(sa.select(sa.func.count()).select_from(trials).where(
            trials.c.study_id == study_id, trials.c.state != TrialState.WAITING.value)).scalar()
        if int(held or 0) >= max_trials:
            return None
    now = now or utcnow()
    beat = now if heartbeat else None
    waiting = sa.select(trials).where(trials.c.study_id == study_id,
                                      trials.c.state == TrialState.WAITING.value)
    if number is not None:
        waiting = waiting.where(trials.c.number == number)
    row = conn.execute(waiting.order_by(trials.c.number).limit(1)).first()
    if row is not None:
        attrs = _dumps(next_claim({**json.loads(row.system_attrs), **extra}))
        conn.execute(trials.update().where(trials.c.id == row.id).values(
            state=TrialState.RUNNING.value, datetime_start=now, heartbeat=beat, system_attrs=attrs,
            updated=now))
        claimed = SimpleNamespace(**{**row._mapping, "state": TrialState.RUNNING.value,
                                     "datetime_start": now, "system_attrs": attrs})
        return _trial(claimed, [], False)
    if waiting_only or number is not None:
        return None
    last = conn.execute(sa.select(sa.func.max(trials.c.number))
                        .where(trials.c.study_id == study_id)).scalar()
    new = 0 if last is None else int(last) + 1
    attrs = _dumps({**extra, CLAIM: 1})
    conn.execute(trials.insert().values(
        study_id=study_id, number=new, state=TrialState.RUNNING.value, params="{}",
        distributions="{}", user_attrs="{}", system_attrs=attrs,
        datetime_start=now, heartbeat=beat, updated=now))
    return FrozenTrial(number=new, state=TrialState.RUNNING, system_attrs=json.loads(attrs),
                       datetime_start=now)


def recover(conn: Connection, row: Any, reason: str, max_retries: int, *, counted: bool = True,
            now: datetime | None = None) -> TrialState:
    """An interrupted running trial's row, queued again (waiting) or failed."""
    state, attrs, error = interruption_outcome(json.loads(row.system_attrs), reason, max_retries, counted=counted,
                                               params=json.loads(row.params))
    now = now or utcnow()
    if state == TrialState.WAITING:
        conn.execute(steps.delete().where(steps.c.trial_id == row.id))
        conn.execute(trials.update().where(trials.c.id == row.id).values(
            state=state.value, params="{}", distributions="{}", user_attrs=_dumps(attrs.get(ENQUEUED_USER_ATTRS, {})),
            system_attrs=_dumps(attrs), datetime_start=None, heartbeat=None, value=None, error=None,
            updated=now))
    else:
        conn.execute(trials.update().where(trials.c.id == row.id).values(
            state=state.value, system_attrs=_dumps(attrs), error=error, value=None,
            datetime_complete=now, updated=now))
    return state
