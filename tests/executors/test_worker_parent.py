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


def test_a_worker_whose_supervisor_is_gone_exits_quietly(tmp_path, capfd):
    # The supervisor was killed while the worker was still setting up (importing torch, on a
    # busy machine, takes seconds): its first message finds nobody listening. That is an end,
    # not an error: no traceback on the terminal the user is looking at.
    import multiprocessing as mp
    import pickle

    import _objectives as ob
    import nntune
    from nntune.executors import WorkerOptions, study_setup
    from nntune.executors._worker import worker_main

    url = f"sqlite:///{tmp_path / 'w.db'}"
    nntune.create_study("s", url)
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=worker_main, args=(pickle.dumps(study_setup(url, "s", ob.quadratic)), theirs,
                                                 WorkerOptions(), 3, {}, 1, os.getpid()))
    proc.start()
    theirs.close()
    ours.close()  # the supervisor's end: gone before the worker says a word
    proc.join(120)
    err = capfd.readouterr().err
    assert proc.exitcode == 0 and "Traceback" not in err, err
    assert nntune.load_study("s", url).trials == []  # it started nothing
