"""Where the Ray executor connects: an address with no Ray behind it is refused in one line
within seconds (Ray itself keeps retrying it for many minutes without a word)."""

import socket
import time

import pytest

from nntune.exceptions import ConfigError
from nntune.executors._ray import connect, gcs_endpoint


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def test_the_head_address_is_read_from_the_option_or_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert gcs_endpoint("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert gcs_endpoint("[::1]:6379") == ("::1", 6379)
    assert gcs_endpoint("auto") is None and gcs_endpoint("ray://head:10001") is None
    assert gcs_endpoint(None) is None
    monkeypatch.setenv("RAY_ADDRESS", "head:6380")
    assert gcs_endpoint(None) == ("head", 6380)


def test_an_address_where_no_ray_answers_is_one_line_at_once():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    port = _closed_port()
    began = time.monotonic()
    with pytest.raises(ConfigError, match=rf"search.ray_address: no Ray head answers at 127.0.0.1:{port}"):
        connect(ray, f"127.0.0.1:{port}")
    assert time.monotonic() - began < 10


def test_the_command_line_refuses_it_with_exit_code_2(run_cli):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    done = run_cli("tune", "--storage", "sqlite:///r.db", "--executor", "ray", "--ray-address",
                   f"127.0.0.1:{_closed_port()}", "--trials", "1", timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("nntune: error: search.ray_address: no Ray head")
    assert "Traceback" not in done.stderr
