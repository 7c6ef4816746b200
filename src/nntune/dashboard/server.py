"""Running the dashboard: uvicorn in the foreground (the CLI) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Any

import uvicorn

from nntune.dashboard.app import create_app
from nntune.storage import Storage, redact_url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str] | None:
    """The Host names a dashboard listening on ``host`` answers to: on a loopback address its
    usual names and the address itself (127.0.0.2 is loopback too, and its printed address
    must answer), so that a page on another site whose name is rebound to 127.0.0.1 cannot
    read the studies; None (any) off loopback, where control needs the token."""
    if not is_loopback(host):
        return None
    names = ["127.0.0.1", "localhost", "::1", "[::1]", host]
    if ":" in host:  # IPv6: a Host header holds it in brackets
        names.append(f"[{host}]")
    return list(dict.fromkeys(names))


def _config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")


class RunningServer:
    """The app served by uvicorn in a daemon thread on ``host``, on a free port when ``port`` is 0."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = host, self.sock.getsockname()[1]
        self.server = uvicorn.Server(_config(app, host, self.port))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def serve(store: Storage, *, host: str = "127.0.0.1", port: int = 8080, allow_control: bool = False,
          open_browser: bool = True, say: Callable[[str], None] = print) -> None:
    """Serve until interrupted. Control (deleting studies) needs ``allow_control``; bound to
    anything but loopback it also needs the token printed here."""
    # Read once before anything is served: a storage nntune cannot read (Optuna's own journal
    # file, whose lines nntune does not replay) is refused here in its one-line ConfigError.
    # First read by the warming thread, it printed a traceback there and left a dashboard up
    # whose every request failed.
    store.list_studies()
    token = secrets.token_urlsafe(16) if allow_control and not is_loopback(host) else None
    app = create_app(store, allow_control=allow_control, token=token, hosts=allowed_hosts(host))
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host  # IPv6 in brackets
    url = f"http://{shown}:{port}/"
    say(f"nntune dashboard on {url} over {redact_url(store.url)} "
        f"({'control allowed' if allow_control else 'read-only'}); Ctrl+C stops it")
    if token is not None:
        say(f"control token (send it as the X-NNTune-Token header): {token}")
    threading.Thread(target=app.state.dashboard.live.warm, daemon=True).start()
    if open_browser:
        threading.Timer(0.8, _open, args=(url,)).start()
    uvicorn.Server(_config(app, host, port)).run()


def _open(url: str) -> None:
    try:
        webbrowser.get().open(url)
    except webbrowser.Error:  # no browser on this machine: the printed address is enough
        pass
