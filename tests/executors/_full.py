"""An objective for worker processes whose first attempt finds the storage's disk full."""

import sqlalchemy as sa


def disk_full_once(trial) -> float:
    """The SQLite file may not grow by a page while its first attempt runs, as on a disk with
    no room left (the worker's own connections only); a later attempt runs as usual."""
    x = trial.suggest_float("x", 0, 1)
    if "interruptions" not in trial.system_attrs and "retries" not in trial.system_attrs:
        engine = trial.study.storage.engine
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count={pages}"))
        engine.dispose()
        trial.set_user_attr("big", "x" * 200_000)
    return x
