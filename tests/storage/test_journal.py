"""The journal storage beyond the contract every storage meets: several readers and writers
of one file agree, times replay as they were, and a line torn by a killed writer is dropped."""

from __future__ import annotations

import os

import pytest

from nntune.exceptions import ConfigError
from nntune.storage import get_storage
from nntune.storage.journal import JournalStorage
from nntune.trial import TrialState


def test_two_handles_on_one_file_see_each_others_changes_at_their_times(tmp_path):
    a, b = JournalStorage(tmp_path / "j.log"), get_storage(f"journal://{tmp_path / 'j.log'}")
    sid = a.create_study("s", "minimize")
    number = b.create_trial(sid)
    a.report(sid, number, 1, 0.5)
    started = a.get_trial(sid, number).datetime_start
    assert b.get_trial(sid, number).datetime_start == started  # the writer's time, not the replay's
    assert b.get_trial(sid, number).intermediate_values == {1: 0.5}
    assert a.recover_stale_trials(sid, 3600) == {}  # its heartbeat is recent for both
    assert b.recover_stale_trials(sid, 0.0, max_retries=1) == {number: TrialState.WAITING}
    assert a.get_trial(sid, number).state == TrialState.WAITING
    assert a.merge_study_attr(sid, "n", lambda v: (v or 0) + 1) == 1
    assert b.merge_study_attr(sid, "n", lambda v: (v or 0) + 1) == 2 and a.load_study("s").attrs["n"] == 2


def test_a_line_torn_by_a_killed_writer_is_dropped(tmp_path):
    path = tmp_path / "j.log"
    a = JournalStorage(path)
    sid = a.create_study("s", "minimize")
    with open(path, "ab") as f:
        f.write(b'{"m":"create_trial","t":"2026-')  # a writer killed in the middle of its line
    b = JournalStorage(path)
    assert [r.name for r in b.list_studies()] == ["s"] and b.get_trials(sid) == []
    number = b.create_trial(sid)  # the next change replaces the torn tail
    assert number == 0 and path.read_bytes().count(b"\n") == 2 and b"\0" not in path.read_bytes()
    assert [t.number for t in JournalStorage(path).get_trials(sid)] == [0]


def test_a_file_that_is_not_a_journal_is_one_line(tmp_path):
    (tmp_path / "notes.log").write_text("hello\n")
    with pytest.raises(ConfigError, match=r"^storage: .*notes.log: the line at byte 0 is not a journal entry"):
        JournalStorage(tmp_path / "notes.log").list_studies()
    with pytest.raises(ConfigError, match="is a folder; a journal is a file"):
        JournalStorage(tmp_path)
    from nntune.storage import existing_storage

    with pytest.raises(ConfigError, match="no such journal file"):
        existing_storage(f"journal://{tmp_path / 'missing.log'}")


@pytest.mark.parametrize("line", [
    '{"op": 1}', "[1, 2]", "3", '"text"', "null",
    '{"m": "report", "t": "2026-01-01T00:00:00", "a": [], "k": {}}',  # arguments that do not fit
    '{"m": "os.remove", "t": "2026-01-01T00:00:00", "a": [], "k": {}}',  # not a storage change
    '{"m": "create_trial", "t": "yesterday", "a": [0], "k": {}}',
])
def test_a_json_line_that_is_not_a_journal_record_is_one_line(tmp_path, line):
    (tmp_path / "j.log").write_text(line + "\n")
    with pytest.raises(ConfigError, match=r"^storage: .*j.log: the line at byte 0 is not a journal entry"):
        JournalStorage(tmp_path / "j.log").list_studies()


def test_a_record_the_history_before_it_refuses_is_one_line(tmp_path):
    path = tmp_path / "j.log"
    JournalStorage(path).create_study("s", "minimize")
    with open(path, "a") as f:
        f.write('{"m": "report", "t": "2026-01-01T00:00:00", "a": [0, 7, 1, 0.5], "k": {}}\n')
    with pytest.raises(ConfigError, match=r"j.log: the line at byte \d+ does not follow from the lines before it "
                                          r"\(no trial 7 in study 0;"):
        JournalStorage(path).get_trials(0)


@pytest.mark.parametrize("command", ["studies", "study-names"])
def test_the_cli_on_a_json_line_that_is_not_a_journal_record_is_one_line(call_cli, tmp_path, command):
    (tmp_path / "j.log").write_text('{"op": 1}\n')
    code, out, err = call_cli(command, "--storage", f"journal://{tmp_path / 'j.log'}")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "the line at byte 0 is not a journal entry" in err
    assert (tmp_path / "j.log").read_text() == '{"op": 1}\n'


@pytest.mark.slow
def test_nntune_tune_with_two_worker_processes_on_a_journal(call_cli, tmp_path, monkeypatch):
    import json

    # In this process (the executable's main, without a start of torch of its own): the two
    # workers are real processes all the same, forked from this process's warm fork server.
    monkeypatch.chdir(tmp_path)  # the model and report land here
    url = f"journal://{tmp_path / 'study.log'}"
    code, out, err = call_cli("tune", "--storage", url, "--workers", "2", "--trials", "4", "--set", "fixed.epochs=2",
                              "--set", "task.train_size=0.3", "--json")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"]["complete"] == 4 and summary["test_evaluations"] == 1
    trials = get_storage(url).get_trials(get_storage(url).load_study(summary["study"]).id)
    assert os.getpid() not in {t.system_attrs["worker"]["pid"] for t in trials}  # run by the workers
    code, out, err = call_cli("studies", "--storage", url, "--json")
    assert code == 0, err
    assert json.loads(out)["studies"][0]["n_trials"] == 4


@pytest.mark.parametrize("value", [
    {"__enum__": "complete"}, {"__time__": "2020-01-01T00:00:00"}, {"__map__": {"a": 1}},
    {"__dist__": {"type": "float", "low": 0.0, "high": 1.0}}, {"outer": {"__enum__": "failed"}},
])
def test_a_user_attribute_shaped_like_the_journal_s_own_tags_comes_back_as_it_was(tmp_path, value):
    a = JournalStorage(tmp_path / "j.log")
    sid = a.create_study("s", "minimize")
    number = a.create_trial(sid)
    a.set_study_attr(sid, "user:k", value)
    a.set_trial_user_attr(sid, number, "k", value)
    b = JournalStorage(tmp_path / "j.log")  # replayed from the file
    for store in (a, b):
        assert store.load_study("s").attrs["user:k"] == value
        assert store.get_trial(sid, number).user_attrs["k"] == value


def test_optuna_s_own_journal_is_named_as_such(call_cli, tmp_path):
    optuna = pytest.importorskip("optuna")
    from optuna.storages import JournalStorage as OptunaJournal
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path / "optuna.log"
    optuna.create_study(study_name="s1", storage=OptunaJournal(JournalFileBackend(str(path))))
    before = path.read_bytes()
    code, out, err = call_cli("studies", "--storage", f"journal://{path}")
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"nntune: error: storage: {path} is Optuna's journal, not an nntune journal (nntune reads " \
                          "only the lines it writes)"
    with pytest.raises(ConfigError, match="is Optuna's journal"):
        JournalStorage(path).create_study("s2", "minimize")
    assert path.read_bytes() == before
