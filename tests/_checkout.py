"""What the test suite leaves in the checkout: files it created or changed there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SKIPPED_DIRS = frozenset({".git", ".venv", "__pycache__", ".pytest_cache"})

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every file under ``root`` (but caches, the virtual environment and git's own) with
    its modification time and size."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            found[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return found


def tracked_files(root: Path) -> frozenset[str]:
    """Files git tracks (their edits are the developer's, not the suite's); none without git."""
    try:
        done = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(p for p in done.stdout.decode(errors="replace").split("\0") if p) \
        if done.returncode == 0 else frozenset()


def left_behind(before: Snapshot, after: Snapshot, tracked: frozenset[str]) -> list[str]:
    """Files new since ``before``, or changed and not tracked by git, sorted."""
    return sorted(p for p, sig in after.items()
                  if p not in before or (before[p] != sig and p not in tracked))
