"""A worker started from the fork server dies the moment its supervisor is killed."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

SUPERVISOR = textwrap.dedent("""
    import multiprocessing as mp, sys, time
    from nntune.executors._worker import die_with_parent

    def child(conn):
        die_with_parent()
        conn.send("up")
        time.sleep(600)  # no heartbeat here: only its parent's death can end it

    if __name__ == "__main__":
        ctx = mp.get_context("forkserver")
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=child, args=(theirs,), daemon=True)
        proc.start()
        assert ours.recv() == "up"
        print(proc.pid, flush=True)
        time.sleep(600)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_fork_server_child_dies_with_the_supervisor(tmp_path):
    script = tmp_path / "supervisor.py"
    script.write_text(SUPERVISOR)
    sup = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(sup.stdout.readline())
        server = psutil.Process(child).ppid()
        assert server != sup.pid  # the child's parent is the fork server, not the supervisor
    finally:
        os.kill(sup.pid, signal.SIGKILL)
        sup.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (alive(child) or alive(server)):
        time.sleep(0.02)
    # Holding the server's "alive" pipe, the child kept the server up, and so itself.
    assert not alive(server) and not alive(child)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
