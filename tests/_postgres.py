"""A real, throwaway PostgreSQL server for the tests, started from the server binaries.

``postgres_server`` (session scope) runs ``initdb`` into a temporary directory and starts
``postgres`` on a free port of 127.0.0.1 with its unix socket in that directory, and stops
it at the end of the session. As root, the server runs as ``nobody`` (PostgreSQL refuses
root). Without the binaries (``initdb`` in /usr/lib/postgresql/*/bin or on PATH) every test
that needs the server is skipped, saying how to install them. ``postgresql_url`` gives each
test a fresh, empty database on that server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

MISSING = ("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin "
           "or on PATH; install them with `apt-get install postgresql` to run these tests")


def server_bin_dir() -> Path | None:
    """The directory with initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin, else PATH."""
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_server_user(cmd: list[str]) -> list[str]:
    """The command as an unprivileged user when we are root (postgres refuses to run as root)."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--", *cmd]
    return [shutil.which("setpriv") or "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]


class Server:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="nntune-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            os.chmod(self.dir, 0o700)
            shutil.chown(self.dir, "nobody", "nogroup")

    def _run(self, *args: str) -> None:
        done = subprocess.run(as_server_user(list(args)), cwd=self.dir, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = (self.dir / "server.log")
            extra = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}\n{extra}")

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "nntune", "--auth=trust",
                  "--encoding=UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://nntune@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import sqlalchemy as sa

        from nntune.storage._engines import driver_url

        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(driver_url(self.url()), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.skip(MISSING)
    server = Server(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgresql_url(postgres_server: Server) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()


def run_sql(url: str, *statements: str) -> None:
    """Run ``statements`` in one transaction on the database at an nntune storage URL
    (SQLite or PostgreSQL): how a test makes another program's tables, or an older schema."""
    import sqlalchemy as sa

    from nntune.storage._engines import driver_url

    engine = sa.create_engine(driver_url(url))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()
