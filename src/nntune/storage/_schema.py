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


def reuses_study_ids(conn: sa.engine.Connection) -> bool:
    """Whether ``studies`` is an SQLite table made before it had AUTOINCREMENT, where a
    deleted study's id (the largest) is given again to the next study created."""
    if conn.dialect.name != "sqlite":
        return False  # PostgreSQL's sequence never goes back
    made = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'studies'").scalar()
    return made is not None and "AUTOINCREMENT" not in made.upper()


def never_reuse_study_ids(engine: sa.engine.Engine, read_only: str) -> None:
    """Rebuild an older SQLite file's ``studies`` table with AUTOINCREMENT, every row and id
    kept, in one transaction; ``read_only`` is the execution option of a deferred BEGIN.

    SQLite cannot add AUTOINCREMENT to a table: a new one is filled and renamed in its
    place. Foreign keys are off meanwhile, as SQLite's own recipe has it, since dropping the
    old table with them on would delete every trial (ON DELETE CASCADE). A pragma cannot
    change inside a transaction, so this takes a connection of its own, which is thrown
    away after, never handed back to the pool with its foreign keys off."""
    with engine.connect() as conn:
        with conn.execution_options(**{read_only: True}).begin():  # most files: one read, no lock
            if not reuses_study_ids(conn):
                return
    with engine.connect() as conn:
        try:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            with conn.begin():  # BEGIN IMMEDIATE: another process opening the file waits, then sees it done
                if reuses_study_ids(conn):
                    _rebuild_studies(conn)
        finally:
            conn.invalidate()


def _rebuild_studies(conn: sa.engine.Connection) -> None:
    have = {c["name"] for c in sa.inspect(conn).get_columns("studies")}
    if not have <= set(studies.c.keys()):
        return  # a column this version does not know would be lost: leave the table as it is
    # A file may hold dangling rows from before (written with foreign keys off): only new ones stop the rebuild.
    dangling = len(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall())
    rebuilt = studies.to_metadata(sa.MetaData(), name="studies_rebuilt")
    rebuilt.create(conn)
    columns = ", ".join(c for c in studies.c.keys() if c in have)
    conn.exec_driver_sql(f"INSERT INTO studies_rebuilt ({columns}) SELECT {columns} FROM studies")
    conn.exec_driver_sql("DROP TABLE studies")
    conn.exec_driver_sql("ALTER TABLE studies_rebuilt RENAME TO studies")
    broken = len(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()) - dangling
    if broken > 0:  # raised inside the transaction: rolled back, the file as it was
        raise RuntimeError(f"rebuilding the studies table would break {broken} foreign keys")
