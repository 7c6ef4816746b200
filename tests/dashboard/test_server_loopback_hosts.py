"""A dashboard listening on a loopback address other than 127.0.0.1 (``nntune dashboard --host
127.0.0.2``, one of several on one machine) answers at the address it prints: every request
there was refused as an "Invalid host header" before. Other names are still refused."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from nntune.dashboard import allowed_hosts

from tests.dashboard.test_cli import db, free_port, start_dashboard, wait_up  # noqa: F401 (db: the fixture)


@pytest.mark.slow
def test_the_command_on_127_0_0_2_answers_at_the_address_it_prints(db):
    port = free_port()
    proc, line = start_dashboard("--storage", db, "--host", "127.0.0.2", "--port", str(port))
    try:
        assert f"http://127.0.0.2:{port}/" in line
        assert [s["name"] for s in wait_up(f"http://127.0.0.2:{port}/api/studies")["studies"]] == ["s1", "s2"]
        rebound = urllib.request.Request(f"http://127.0.0.2:{port}/api/studies", headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rebound)
        assert refused.value.code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_names_a_dashboard_answers_to():
    assert allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "::1", "[::1]"]
    assert allowed_hosts("::1") == ["127.0.0.1", "localhost", "::1", "[::1]"]
    assert allowed_hosts("127.0.0.2") == ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]
    assert allowed_hosts("0:0:0:0:0:0:0:1")[-2:] == ["0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]"]
    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("192.168.1.5") is None
