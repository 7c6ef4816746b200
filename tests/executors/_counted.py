"""A worker entry point that leaves a file per worker process started (its pid and torch
thread share) in a folder, then runs as any worker does."""

import os
from pathlib import Path
from typing import Any

from nntune.executors._worker import worker_main


def counted_worker(folder: str, *args: Any) -> None:
    """``functools.partial(counted_worker, folder)`` is a pool's ``target``."""
    threads = args[5]
    Path(folder, f"{os.getpid()}").write_text(str(threads))
    worker_main(*args)
