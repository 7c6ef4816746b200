"""Ctrl+C is how ``nntune dashboard`` is stopped: a clean exit (code 0) with one line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from nntune.storage import SQLStorage


def test_ctrl_c_stops_the_dashboard_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    SQLStorage(url).create_study("s", "minimize")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nntune.cli", "dashboard", "--no-browser", "--storage", url,
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies") as res:
                    assert [s["name"] for s in json.loads(res.read())["studies"]] == ["s"]
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the dashboard never answered"
                time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert err.strip().splitlines()[-1] == "nntune dashboard stopped" and "Traceback" not in err
