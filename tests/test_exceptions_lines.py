"""A worker's or Ray actor's error, whose message carries a traceback, told in one line."""

from __future__ import annotations

from nntune.exceptions import last_line
from nntune.executors import WorkerSetupError


def test_a_traceback_in_a_message_keeps_what_failed_and_why() -> None:
    err = WorkerSetupError("a Ray actor could not start: The actor died in its creation task\n"
                           "Traceback (most recent call last):\n  File \"x.py\", line 3, in <module>\n"
                           "    import missing\nModuleNotFoundError: No module named 'missing'\n")
    assert last_line(err) == ("a Ray actor could not start: The actor died in its creation task ... "
                              "ModuleNotFoundError: No module named 'missing'")
    assert last_line(WorkerSetupError("a worker could not start: no study named 's'")) == \
        "a worker could not start: no study named 's'"
    assert last_line(WorkerSetupError("")) == "WorkerSetupError"
