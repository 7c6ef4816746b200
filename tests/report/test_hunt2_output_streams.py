"""The report written to a stream (``-o /dev/stdout``, a named pipe): written into, the
stream left as it was, never replaced by a file put in its place."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

import nntune
from nntune.report import write_report


@pytest.fixture()
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(storage=url, study_name="one")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    return url


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_receives_the_page_and_stays_a_pipe(tmp_path, url):
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        write_report(url, "one", fifo)
    finally:
        reader.join(timeout=20)
        if reader.is_alive():  # nothing opened the pipe for writing: let the reader go
            with open(fifo, "wb"):
                pass
            reader.join(timeout=5)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith(b"<!DOCTYPE html>") and got[0].rstrip().endswith(b"</html>")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")
def test_standard_output_gets_the_page_and_what_is_printed_after_it_follows(tmp_path, url):
    out = tmp_path / "out.html"
    code = ("import sys; from nntune.report import write_report; "
            f"write_report({url!r}, 'one', '/proc/self/fd/1'); print('written')")
    with open(out, "wb") as handle:
        done = subprocess.run([sys.executable, "-c", code], stdout=handle, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>written\n")
