"""A journal file that changes under a process using it: deleted, created again, cut short,
or full. The process refuses in one line and the file on disk stays readable."""

import json
import os
import subprocess
import sys

import pytest

from nntune.exceptions import ConfigError
from nntune.storage.journal import JournalStorage


def _used(path):
    a = JournalStorage(path)
    sid = a.create_study("old", "minimize")
    for _ in range(3):
        a.create_trial(sid)
    return a, sid


def test_a_journal_created_again_under_a_process_is_not_written_after_a_gap(tmp_path):
    path = tmp_path / "j.log"
    a, sid = _used(path)
    os.remove(path)
    JournalStorage(path).create_study("new", "minimize")  # a fresh run of the same command
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r"^storage: .*j.log: the journal was replaced or cut short while this "
                                          r"process used it; open it again$"):
        a.create_trial(sid)
    with pytest.raises(ConfigError, match="was replaced or cut short"):
        a.list_studies()
    assert path.read_bytes() == before and b"\0" not in before
    assert [s.name for s in JournalStorage(path).list_studies()] == ["new"]


def test_a_journal_cut_short_under_a_process_is_refused(tmp_path):
    path = tmp_path / "j.log"
    a, sid = _used(path)
    with open(path, "r+b") as f:
        f.truncate(path.read_bytes().index(b"\n") + 1)  # only the study's line is left
    with pytest.raises(ConfigError, match="was replaced or cut short"):
        a.get_trials(sid)


def test_a_journal_deleted_under_a_process_is_one_line(tmp_path):
    path = tmp_path / "j.log"
    a, sid = _used(path)
    os.remove(path)
    with pytest.raises(ConfigError, match=r"^storage: .*j.log: the journal file is gone \(deleted or moved"):
        a.get_trials(sid)
    with pytest.raises(ConfigError, match="the journal file is gone"):
        a.create_trial(sid)  # the write would make a file of its own change alone
    assert not path.exists()


FULL_DISK = """
import json, resource, signal, sys
from nntune.exceptions import ConfigError
from nntune.storage.journal import JournalStorage
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
a = JournalStorage(sys.argv[1])
sid = a.create_study("s", "minimize")
size = a.path.stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, resource.RLIM_INFINITY))
for big in ("x" * 10_000, "y" * 1_000):  # longer and shorter than a file buffer
    try:
        a.set_study_attr(sid, "user:big", big)
    except ConfigError as err:  # StorageFull: a worker's trial is then no crash of its own
        print(type(err).__name__, err)
    print(a.path.stat().st_size == size)  # no part of the refused line is left in the file
print(json.dumps(sorted(a.load_study("s").attrs)))
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
a.set_study_attr(sid, "user:small", 1)
print(json.dumps(sorted(a.load_study("s").attrs)))
"""


def test_a_change_the_disk_has_no_room_for_is_not_kept_in_memory(tmp_path):
    path = tmp_path / "j.log"
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    refused, kept, refused_short, kept_short, after, later = done.stdout.strip().splitlines()
    assert refused == refused_short == f"StorageFull storage: cannot write the journal {path}: File too large"
    assert kept == kept_short == "True"
    assert "user:big" not in after and "user:big" not in later and "user:small" in later
    assert sorted(JournalStorage(path).load_study("s").attrs) == json.loads(later)
