"""SQL storage reads a finished trial's steps once: later history reads (every ask) read the
steps of unfinished trials only, and still see every change another writer makes."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from nntune.storage import SQLStorage
from nntune.trial import TrialState


def _step_reads(store: SQLStorage) -> list[tuple[str, object]]:
    """Every statement that reads the steps table, with its parameters, from now on."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "trial_steps" in statement:
            seen.append((statement, parameters))
    sa.event.listen(store.engine, "before_cursor_execute", note)
    return seen


def _study(store: SQLStorage, finished: int, running: int) -> int:
    sid = store.create_study("s", "minimize")
    for n in range(finished + running):
        store.create_trial(sid)
        for step in range(5):
            store.report(sid, n, step, float(n + step))
        if n < finished:
            store.finish_trial(sid, n, TrialState.COMPLETE, float(n))
    return sid


def test_finished_trials_steps_are_read_once(tmp_path: Path) -> None:
    store = SQLStorage(f"sqlite:///{tmp_path / 'a.db'}")
    sid = _study(store, finished=4, running=1)
    first = store.get_trials(sid)
    reads = _step_reads(store)
    again = store.get_trials(sid)
    assert [t.intermediate_values for t in again] == [t.intermediate_values for t in first]
    # Only the running trial's steps are read again (its row id is 5).
    assert len(reads) == 1 and list(reads[0][1]) == [5]
    store.finish_trial(sid, 4, TrialState.PRUNED)
    store.get_trials(sid)
    reads.clear()
    assert len(store.get_trials(sid)) == 5
    assert reads == []


def test_reads_see_another_writers_changes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    reader, writer = SQLStorage(url), SQLStorage(url)
    sid = _study(writer, finished=2, running=1)
    reader.get_trials(sid)
    writer.report(sid, 2, 5, 9.5)
    writer.finish_trial(sid, 2, TrialState.COMPLETE, 1.0)
    writer.set_trial_user_attr(sid, 0, "note", "kept")
    writer.create_trial(sid)
    writer.report(sid, 3, 0, 4.0)
    seen = reader.get_trials(sid)
    fresh = SQLStorage(url).get_trials(sid)
    assert seen == fresh
    assert seen[2].intermediate_values[5] == 9.5 and seen[0].user_attrs == {"note": "kept"}
    assert seen[3].intermediate_values == {0: 4.0}
    # Reading some states only, then all, gives what a fresh reader gives.
    assert reader.get_trials(sid, [TrialState.RUNNING]) == fresh[3:]
    assert reader.get_trials(sid) == fresh


def test_a_deleted_study_is_not_read_from_memory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = SQLStorage(url)
    sid = _study(store, finished=2, running=0)
    store.get_trials(sid)
    store.delete_study("s")
    again = store.create_study("s", "minimize")
    store.create_trial(again)
    store.finish_trial(again, 0, TrialState.COMPLETE, 7.0)
    (trial,) = store.get_trials(again)
    assert trial.value == 7.0 and trial.intermediate_values == {}


def test_trials_with_metric_records_read_values_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = SQLStorage(url)
    sid = store.create_study("s", "minimize")
    for n in range(3):
        store.create_trial(sid)
        for step in range(4):
            store.report(sid, n, step, float(step), {"loss": step / 2, "lr": [0.1]} if step % 2 else None)
        if n < 2:
            store.finish_trial(sid, n, TrialState.COMPLETE, float(n))
    store.get_trials(sid)
    reads = _step_reads(store)
    first = store.get_trials(sid, with_metrics=True)
    # The running trial's steps, and the steps that hold a record: no other step is read.
    assert len(reads) == 2 and list(reads[0][1]) == [3] and "metrics IS NOT NULL" in reads[1][0]
    assert first == SQLStorage(url).get_trials(sid, with_metrics=True)
    assert first[0].metrics == [{"step": 1, "loss": 0.5, "lr": [0.1]}, {"step": 3, "loss": 1.5, "lr": [0.1]}]
    # What a caller changes stays with the caller.
    first[0].intermediate_values[9] = 1.0
    first[0].metrics[0]["lr"].append(2.0)
    first[0].user_attrs["x"] = 1
    again = store.get_trials(sid, with_metrics=True)
    assert again == SQLStorage(url).get_trials(sid, with_metrics=True)
    assert store.get_trials(sid) == SQLStorage(url).get_trials(sid)
