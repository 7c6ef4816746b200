"""A database written by an earlier nntune is brought up to date when opened: trials gain their
``updated`` mark, an SQLite file's studies table its AUTOINCREMENT."""

import threading
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


def _old_sqlite(path) -> str:
    """A file with today's tables but ``studies`` as nntune made it before AUTOINCREMENT:
    three studies, trials on the first and last, a step, a change and a look at the test split."""
    from nntune.storage._schema import meta

    old = sa.MetaData()
    for table in meta.sorted_tables:
        table.to_metadata(old)
    old.tables["studies"].dialect_options["sqlite"]["autoincrement"] = False
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.connect() as conn:  # as nntune leaves every file it opened
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    old.create_all(engine)
    t0 = datetime(2026, 1, 1, 10)
    with engine.begin() as conn:
        made = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'studies'").scalar()
        assert "AUTOINCREMENT" not in made.upper()
        for id_, name in [(1, "a"), (2, "b"), (3, "c")]:
            conn.execute(sa.text("INSERT INTO studies VALUES (:i, :n, 'minimize', '{\"k\": 1}', :t)"),
                         {"i": id_, "n": name, "t": t0})
        for id_, study, number in [(1, 1, 0), (2, 1, 1), (3, 3, 0)]:
            conn.execute(sa.text(
                "INSERT INTO trials (id, study_id, number, state, value, params, distributions, user_attrs, "
                "system_attrs, datetime_start, datetime_complete, heartbeat, updated) VALUES "
                "(:i, :s, :n, 'complete', 0.5, '{\"x\": 1.0}', '{}', '{\"u\": [1]}', '{}', :t, :t, :t, :t)"),
                {"i": id_, "s": study, "n": number, "t": t0})
        conn.execute(sa.text("INSERT INTO trial_steps VALUES (1, 1, 0, 0.7, '{\"loss\": 0.7}')"))
        conn.execute(sa.text("INSERT INTO param_changes VALUES (1, 2, 'lr', '0.1', '0.2', 3, 'user', :t)"), {"t": t0})
        conn.execute(sa.text("INSERT INTO test_evaluations VALUES (1, 1, 0, :t, '{\"acc\": 0.9}')"), {"t": t0})
    engine.dispose()
    return url


def _rows(url: str) -> dict[str, list]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: sorted(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {t}")))
                    for t in ("studies", "trials", "trial_steps", "param_changes", "test_evaluations")}
    finally:
        engine.dispose()


def test_an_older_sqlite_file_never_gives_a_deleted_studys_id_again(tmp_path):
    """Its studies table gains AUTOINCREMENT when opened, every row, id and reference kept, so
    a search still running on a deleted study cannot write into the next study created."""
    url = _old_sqlite(tmp_path / "old.db")
    before = _rows(url)
    store = SQLStorage(url)
    try:
        assert _rows(url) == before
        with store.engine.connect() as conn:
            made = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'studies'").scalar()
        assert "AUTOINCREMENT" in made.upper()
        first = [(t.number, t.params, t.user_attrs, t.intermediate_values) for t in store.get_trials(1)]
        assert first == [(0, {"x": 1.0}, {"u": [1]}, {0: 0.7}), (1, {"x": 1.0}, {"u": [1]}, {})]
        store.delete_study("c")
        assert store.create_study("d", "minimize", {}) == 4
        store.delete_study("d")
        assert store.create_study("e", "minimize", {}) == 5
        assert [(s.id, s.name) for s in store.list_studies()] == [(1, "a"), (2, "b"), (5, "e")]
        after = _rows(url)
        assert after["trials"] == [r for r in before["trials"] if r[1] == 1]
        assert {k: after[k] for k in ("trial_steps", "param_changes", "test_evaluations")} == {
            k: before[k] for k in ("trial_steps", "param_changes", "test_evaluations")}
        with store.engine.connect() as conn:  # every pooled connection checks foreign keys again
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert {r[2] for r in conn.exec_driver_sql("PRAGMA foreign_key_list(trials)")} == {"studies"}
    finally:
        store.engine.dispose()


def test_storages_opening_an_older_sqlite_file_at_once_rebuild_it_once(tmp_path):
    """Each opening has its own engine and connections, as processes would: one rebuilds the
    table, the others wait on its lock and then find it done."""
    url = _old_sqlite(tmp_path / "old.db")
    before = _rows(url)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            SQLStorage(url).engine.dispose()
        except BaseException as err:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(err)
    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _rows(url) == before
    store = SQLStorage(url)
    try:
        store.delete_study("c")
        assert store.create_study("d", "minimize", {}) == 4
    finally:
        store.engine.dispose()


def test_an_older_sqlite_file_opened_read_only_is_read_as_it_is(tmp_path):
    path = tmp_path / "old.db"
    url = _old_sqlite(path)
    before = path.read_bytes()
    store = SQLStorage(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        assert [s.name for s in store.list_studies()] == ["a", "b", "c"]
        assert len(store.get_trials(1)) == 2
    finally:
        store.engine.dispose()
    assert path.read_bytes() == before
