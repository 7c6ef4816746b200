"""``nntune tune --workers N`` starts the workers' fork server before it reads its data, so
that the server's imports (torch, nntune, scikit-learn) overlap the command's own."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from nntune.config_overrides import asks_worker_processes


@pytest.mark.parametrize(("raw", "asks"), [
    ({"search": {"workers": 2}}, True),
    ({"search": {"workers": 4, "executor": "population"}}, True),
    ({"search": {"workers": 1}}, False),
    ({"search": {"workers": 2, "executor": "ray"}}, False),  # Ray actors: no fork server
    ({"search": {"workers": True}}, False),  # a YAML boolean, which parsing refuses
    ({"search": {"workers": "2"}}, False),
    ({"search": None}, False),
    ({}, False),
    ([], False),  # a YAML list where a mapping belongs: parsing says so, not this
])
def test_a_raw_config_asks_for_worker_processes_only_when_it_plainly_does(raw, asks) -> None:
    assert asks_worker_processes(raw) is asks


def test_the_server_is_started_before_the_data_is_read(call_cli, monkeypatch, tmp_path) -> None:
    from nntune import runner
    from nntune.exceptions import ConfigError
    from nntune.executors import _processes

    events: list[str] = []

    def prepare(cfg):  # where the data would be read: the order is all this test needs
        events.append("data")
        raise ConfigError("task.data", "not read in this test")

    monkeypatch.setattr(_processes, "start_worker_server", lambda: events.append("server") or True)
    monkeypatch.setattr(runner, "prepare", prepare)
    monkeypatch.chdir(tmp_path)
    for args, expected in ((["--workers", "2"], ["server", "data"]),
                           (["--workers", "2", "--dry-run"], ["data"]),  # a dry run starts no worker
                           (["--workers", "1"], ["data"]),
                           (["--set", "search.workers=3", "--executor", "population"], ["server", "data"])):
        events.clear()
        code, _, err = call_cli("tune", *args, "--storage", f"sqlite:///{tmp_path / 's.db'}")
        assert code == 2 and "not read in this test" in err, err
        assert events == expected, args


@pytest.mark.slow
def test_the_server_it_starts_is_the_one_the_workers_come_from() -> None:
    # A fresh process: the server is started once per process and kept.
    script = textwrap.dedent("""
        import multiprocessing as mp
        from multiprocessing import forkserver
        from nntune.executors._processes import start_worker_server, worker_context
        if __name__ == "__main__":
            assert start_worker_server()
            pid = forkserver._forkserver._forkserver_pid
            assert pid is not None
            proc = worker_context([]).Process(target=print, args=("from a worker",))
            proc.start(); proc.join()
            assert proc.exitcode == 0 and forkserver._forkserver._forkserver_pid == pid
            print("one server", pid)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "from a worker" in done.stdout and "one server" in done.stdout
