"""The five tables of SQL storage. Every JSON column holds text written by ``json.dumps``.
A column added after databases were already in use is added to them by :func:`migrate`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

meta = sa.MetaData()
studies = sa.Table(
    "studies", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(512), nullable=False, unique=True),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("attrs", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # A deleted study's id is never given again (SQLite reuses the largest id otherwise): a
    # search still running on the deleted study must not write into the next one created.
    sqlite_autoincrement=True,
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
    # When the trial last changed in a way a reader may show: enqueued, claimed, re-queued,
    # given parameters or attributes, a step reported, finished (a bare heartbeat is not one).
    sa.Column("updated", sa.DateTime, nullable=True),
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
param_changes = sa.Table(
    "param_changes", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("trials.id", ondelete="CASCADE"), nullable=False),
    sa.Column("param", sa.String(128), nullable=False),
    sa.Column("new_value", sa.Text, nullable=False),
    sa.Column("old_value", sa.Text, nullable=True),
    sa.Column("epoch", sa.Integer, nullable=True),  # NULL while pending
    sa.Column("who", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Index("ix_param_changes_trial", param_changes.c.trial_id, param_changes.c.epoch)
sa.Index("ix_trials_study_state", trials.c.study_id, trials.c.state)
updated_index = sa.Index("ix_trials_study_updated", trials.c.study_id, trials.c.updated)


def migrate(conn: sa.engine.Connection, now: datetime) -> None:
    """Bring a database written by an earlier version up to these tables: ``trials.updated``
    (a trial's latest time stamp, ``now`` for one that never ran) and its index."""
    if "updated" in {c["name"] for c in sa.inspect(conn).get_columns("trials")}:
        return
    kind = trials.c.updated.type.compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE trials ADD COLUMN updated {kind}"))
    # A heartbeat is never later than the completion, nor a start later than a heartbeat.
    conn.execute(trials.update().values(updated=sa.func.coalesce(
        trials.c.datetime_complete, trials.c.heartbeat, trials.c.datetime_start, now)))
    updated_index.create(conn, checkfirst=True)
