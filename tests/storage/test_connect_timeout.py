"""A PostgreSQL host that never answers (a firewall that drops packets, a machine gone) is a
one-line error after one connect timeout, not a hang: libpq alone waits 130 s an attempt,
and opening a storage tries four times."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from nntune.exceptions import ConfigError
from nntune.storage import get_storage
from nntune.storage import _engines
from nntune.storage._engines import CONNECT_TIMEOUT


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts but where nobody ever answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


def _opened_within(url: str, seconds: float) -> BaseException | None:
    """The error get_storage(url) raised, or a failure when it took longer than ``seconds``."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            get_storage(url)
        except BaseException as err:  # noqa: BLE001 (handed to the test)
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)  # a hang must not hold the test run
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"opening {url} still waits after {seconds} s")
    return outcome[0] if outcome else None


def test_a_url_connect_timeout_is_waited_once(silent_port):
    started = time.monotonic()
    err = _opened_within(f"postgresql://u:secret@127.0.0.1:{silent_port}/db?connect_timeout=2", 30)
    assert isinstance(err, ConfigError) and err.field == "storage"
    assert "timeout" in str(err) and "secret" not in str(err) and "\n" not in str(err)
    assert time.monotonic() - started < 2 * 2  # one attempt, not four


def test_a_silent_host_fails_after_the_default_connect_timeout(silent_port, monkeypatch):
    assert 5 <= CONNECT_TIMEOUT <= 30  # long enough for a distant server, short enough to wait for
    # The default, shortened for the test: a URL without connect_timeout waits that long, once.
    monkeypatch.setattr(_engines, "CONNECT_TIMEOUT", 2)
    started = time.monotonic()
    err = _opened_within(f"postgresql://u@127.0.0.1:{silent_port}/db", 3 * 2)
    assert isinstance(err, ConfigError) and "timeout" in str(err)
    assert time.monotonic() - started < 2 * 2
