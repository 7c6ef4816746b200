"""A database written before trials had their ``updated`` mark is brought up to date when opened."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from nntune.storage import SQLStorage
from nntune.storage._engines import driver_url
from nntune.trial import TrialState

OLD_TRIALS = """CREATE TABLE trials (
    id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id), number INTEGER NOT NULL,
    state VARCHAR(16) NOT NULL, value FLOAT, params TEXT NOT NULL, distributions TEXT NOT NULL,
    user_attrs TEXT NOT NULL, system_attrs TEXT NOT NULL, datetime_start TIMESTAMP,
    datetime_complete TIMESTAMP, heartbeat TIMESTAMP, error TEXT)"""
OLD_STUDIES = """CREATE TABLE studies (id INTEGER PRIMARY KEY, name VARCHAR(512) NOT NULL UNIQUE,
    direction VARCHAR(16) NOT NULL, attrs TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"""


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite" else request.getfixturevalue("postgresql_url")
    engine = sa.create_engine(driver_url(url))
    t0, t1, t2 = datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 11), datetime(2026, 1, 1, 12)
    with engine.begin() as conn:
        conn.execute(sa.text(OLD_STUDIES))
        conn.execute(sa.text(OLD_TRIALS))
        conn.execute(sa.text("INSERT INTO studies VALUES (1, 's', 'minimize', '{}', :t)"), {"t": t0})
        rows = [(1, 0, "complete", t0, t1, t0), (2, 1, "running", t1, None, t2), (3, 2, "waiting", None, None, None)]
        for id_, number, state, start, done, beat in rows:
            conn.execute(sa.text(
                "INSERT INTO trials VALUES (:id, 1, :n, :s, NULL, '{}', '{}', '{}', '{}', :start, :done, :beat, NULL)"),
                {"id": id_, "n": number, "s": state, "start": start, "done": done, "beat": beat})
    engine.dispose()
    return url


def test_an_older_database_gains_the_updated_mark(old_url):
    store = SQLStorage(old_url)
    try:
        every = store.get_trials_since(1, None)
        assert [(t.number, t.state) for t in every.trials] == [
            (0, TrialState.COMPLETE), (1, TrialState.RUNNING), (2, TrialState.WAITING)]
        # Each trial's mark is its latest time stamp: the finished one at its end, the running one at its heartbeat.
        assert [t.number for t in store.get_trials_since(1, datetime(2026, 1, 1, 11, 30)).trials] == [1, 2]
        assert [t.number for t in store.get_trials_since(1, datetime(2026, 1, 1, 12, 1)).trials] == [2]
        index_names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("trials")}
        assert "ix_trials_study_updated" in index_names
        SQLStorage(old_url).engine.dispose()  # opening it again changes nothing
        store.report(1, 1, 1, 0.5)
        assert store.get_trial(1, 1).intermediate_values == {1: 0.5}
    finally:
        store.engine.dispose()
