"""A worker record of a dead process, as a search killed mid-trial leaves on its trial."""

import subprocess
import sys

from nntune.executors import worker_identity


def dead_identity() -> dict:
    """The worker record of a process of this machine that has ended (as one kill -9 leaves)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    identity = worker_identity(proc.pid)
    proc.kill()
    proc.wait()
    return identity
