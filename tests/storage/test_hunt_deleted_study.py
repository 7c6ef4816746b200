"""A study deleted while a handle holds it open: every read and write through that handle
fails with one StudyNotFoundError line (as Optuna raises KeyError) instead of reading an
empty study, and nothing is written for the deleted study."""

import pytest

import nntune
from nntune.storage import SQLStorage, StudyNotFoundError
from nntune.trial import TrialState

GONE = "the study was deleted while it was in use"


def test_storage_reads_and_writes_of_a_deleted_study_fail(storage):
    sid = storage.create_study("gone", "minimize")
    storage.create_trial(sid)
    storage.delete_study("gone")
    calls = {
        "get_trials": lambda: storage.get_trials(sid),
        "get_trials(complete)": lambda: storage.get_trials(sid, [TrialState.COMPLETE]),
        "get_trials(metrics)": lambda: storage.get_trials(sid, with_metrics=True),
        "create_trial": lambda: storage.create_trial(sid, state=TrialState.WAITING),
        "record_test_evaluation": lambda: storage.record_test_evaluation(sid, 0, {"acc": 1.0}),
        "get_test_evaluations": lambda: storage.get_test_evaluations(sid),
        "get_param_changes": lambda: storage.get_param_changes(sid),
    }
    for name, call in calls.items():
        with pytest.raises(StudyNotFoundError, match=GONE):
            call()
    # A study created afterwards gets a new id and none of the old study's rows.
    new = storage.create_study("gone", "minimize")
    assert new != sid
    assert storage.get_trials(new) == [] and storage.get_test_evaluations(new) == []


def open_study(url, name):
    return nntune.load_study(study_name=name, storage=url)


def test_open_sqlite_handle_after_delete_elsewhere(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="s", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    running = study.ask()
    nntune.delete_study(study_name="s", storage=url)  # another handle, as another process would
    for read in (lambda: study.trials, lambda: study.best_trial, lambda: study.best_value,
                 lambda: study.trials_dataframe(), running.should_prune):
        with pytest.raises(StudyNotFoundError, match=GONE) as err:
            read()
        assert "\n" not in str(err.value)
    with pytest.raises(StudyNotFoundError, match=GONE):
        running.report(0.5, 1)
    with pytest.raises(StudyNotFoundError, match=GONE):
        study.tell(running, 0.3)
    with pytest.raises(StudyNotFoundError, match=GONE):
        study.ask()
    assert nntune.get_all_study_names(url) == []


def test_an_open_handle_never_reads_the_attributes_of_a_study_created_again_under_its_name(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    old = nntune.create_study(study_name="s", storage=url)
    old.set_user_attr("run", "old")
    nntune.delete_study(study_name="s", storage=url)
    new = nntune.create_study(study_name="s", storage=url, directions=["minimize", "maximize"])
    new.set_user_attr("run", "new")
    new.set_metric_names(["loss", "acc"])
    for read in (lambda: old.user_attrs, lambda: old.system_attrs, lambda: old.metric_names):
        with pytest.raises(StudyNotFoundError, match=GONE):
            read()
    assert new.user_attrs == {"run": "new"} and new.metric_names == ["loss", "acc"]


def test_open_journal_handle_after_delete_elsewhere(tmp_path):
    path = str(tmp_path / "j.log")

    def store():
        return nntune.storages.JournalStorage(nntune.storages.journal.JournalFileBackend(path))

    study = nntune.create_study(study_name="j", storage=store())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    nntune.delete_study(study_name="j", storage=store())
    size = (tmp_path / "j.log").stat().st_size
    with pytest.raises(StudyNotFoundError, match=GONE):
        study.enqueue_trial({"x": 0.5})  # was a bare KeyError: 1
    with pytest.raises(StudyNotFoundError, match=GONE):
        study.trials
    assert (tmp_path / "j.log").stat().st_size == size  # nothing appended for the deleted study


class DeletedAfterListing(SQLStorage):
    """A real SQLite storage where another process deletes a study just after it is listed."""

    victim = "b"

    def list_studies(self):
        listed = super().list_studies()
        if any(rec.name == self.victim for rec in listed):
            SQLStorage(self.url).delete_study(self.victim)
        return listed


def test_summaries_leave_out_a_study_deleted_while_listing(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    for name in ("a", "b"):
        nntune.create_study(study_name=name, storage=url).optimize(lambda t: 1.0, n_trials=1)
    summaries = nntune.get_all_study_summaries(DeletedAfterListing(url))
    assert [s.study_name for s in summaries] == ["a"]


def test_listing_a_study_of_two_objectives_deleted_while_listing(tmp_path):
    from nntune.studies import list_studies

    url = f"sqlite:///{tmp_path / 'm.db'}"
    nntune.create_study(study_name="a", storage=url)
    nntune.create_study(study_name="b", storage=url, directions=["minimize", "maximize"])
    store = DeletedAfterListing(url)
    data = list_studies(store)  # the table was read before the deletion; the front is not there
    assert {row["name"]: row.get("objectives") for row in data["studies"]} == {"a": None, "b": None}
