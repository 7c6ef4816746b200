"""A study on a read-only file system (a read-only mount, a container's ``:ro`` volume) is
read by ``show``, ``studies`` and the other reading commands: SQLite cannot make a WAL
database's ``-shm`` file there, so the file is opened as immutable, not refused with
"unable to open database file"."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import nntune_command


def _in_read_only_mount(source, mount, command: list[str]) -> subprocess.CompletedProcess:
    """``command`` where ``mount`` is ``source`` mounted read-only, in a user and mount
    namespace of its own (no root needed where the kernel lets users make them)."""
    script = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(source), str(mount), *command],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_a_study_on_a_read_only_mount_is_read(tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("no unshare to make a read-only mount with")
    source, mount = tmp_path / "results é", tmp_path / "ro"
    source.mkdir()
    mount.mkdir()
    # Written by a process that has ended, as the mounted results of a finished search are.
    written = f"sqlite:///{source / 'n.db'}"
    code = (f"import nntune; s = nntune.create_study(study_name='s', storage={written!r})\n"
            "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=2)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert not (source / "n.db-wal").exists()
    probe = _in_read_only_mount(source, mount, ["sh", "-c", "touch \"$0\"/x", str(mount)])
    if "Read-only file system" not in probe.stderr:
        pytest.skip(f"no read-only mount here: {probe.stderr.strip()[:200]}")
    url = f"sqlite:///{mount / 'n.db'}"
    for command in (["studies", "--storage", url], ["show", "--storage", url, "--study", "s"],
                    ["trials", "--storage", url, "--study-name", "s", "-f", "json"]):
        done = _in_read_only_mount(source, mount, [*nntune_command(), *command])
        assert done.returncode == 0, (command, done.stderr)
        assert "COMPLETE" in done.stdout or " s " in done.stdout or "trials of s" in done.stdout
