"""The SQL reads that let a dashboard watch studies: every study's summary in one grouped
query, and the trials that changed since a moment with their steps."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nntune.storage._base import StudyRecord, StudySummary, summarize_study
from nntune.storage._schema import steps, trials
from nntune.trial import TrialState, meets_constraints

# A study's last activity: the latest change of any trial, or of any heartbeat.
STAMPS = (trials.c.datetime_start, trials.c.heartbeat, trials.c.datetime_complete, trials.c.updated)
IN_CHUNK = 500  # trial ids per IN (...) list


def summaries(conn: Connection, recs: list[StudyRecord]) -> list[StudySummary]:
    """Per study and state: the count, the lowest and highest value, the latest time stamps.
    The best value is a feasible trial's, as ``study.best_value``: the grouped query takes
    the trials that hold no constraint value, and the complete trials that hold one are read
    and checked here (a study without constraints adds no rows)."""
    constrained = trials.c.system_attrs.like('%"constraints%')  # "constraints" or "constraints:<key>"
    free_value = sa.case((~constrained, trials.c.value))
    q = sa.select(trials.c.study_id, trials.c.state, sa.func.count(), sa.func.min(free_value),
                  sa.func.max(free_value), *(sa.func.max(c) for c in STAMPS)
                  ).group_by(trials.c.study_id, trials.c.state)
    groups: dict[int, list[Any]] = {}
    for row in conn.execute(q):
        groups.setdefault(row[0], []).append(row)
    feasible: dict[int, list[float]] = {}
    for sid, value, attrs in conn.execute(sa.select(trials.c.study_id, trials.c.value, trials.c.system_attrs).where(
            trials.c.state == TrialState.COMPLETE.value, trials.c.value.is_not(None), constrained)):
        if meets_constraints(json.loads(attrs)):
            feasible.setdefault(sid, []).append(float(value))
    out = []
    for rec in recs:
        rows = groups.get(rec.id, [])
        counts = {r[1]: int(r[2]) for r in rows}
        done = [r for r in rows if r[1] == TrialState.COMPLETE.value and r[3] is not None]
        values = [v for r in done for v in (r[3], r[4])] + feasible.get(rec.id, [])
        best = (max(values) if rec.direction == "maximize" else min(values)) if values else None
        stamps = [d for r in rows for d in r[5:5 + len(STAMPS)] if d is not None]
        out.append(summarize_study(rec, counts, best, max(stamps) if stamps else None))
    return out


def changed_rows(conn: Connection, study_id: int, since: datetime | None,
                 with_metrics: bool) -> tuple[list[Any], dict[int, list[Any]], datetime | None]:
    """The trial rows changed at ``since`` or later by their ``updated`` mark (every row when
    None), their step rows by trial id, and the latest mark among them (``since`` when none)."""
    q = sa.select(trials).where(trials.c.study_id == study_id)
    if since is not None:
        q = q.where(trials.c.updated >= since)
    rows = conn.execute(q.order_by(trials.c.number)).all()
    if not rows:
        return [], {}, since
    cols = [steps.c.trial_id, steps.c.step, steps.c.value] + ([steps.c.metrics] if with_metrics else [])
    by_trial: dict[int, list[Any]] = {}
    ids = [r.id for r in rows]
    for start in range(0, len(ids), IN_CHUNK):
        for s in conn.execute(sa.select(*cols).where(steps.c.trial_id.in_(ids[start:start + IN_CHUNK]))
                              .order_by(steps.c.trial_id, steps.c.step)):
            by_trial.setdefault(s.trial_id, []).append(s)
    marks = [r.updated for r in rows if r.updated is not None]
    return rows, by_trial, max(marks) if marks else since
