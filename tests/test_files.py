"""Files written for the user: whole or not at all, with the user's permissions, and a
path that cannot be written refused in one line before any work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nntune._files import check_writable_dir, check_writable_file, replaced_atomically, write_atomic
from nntune.exceptions import ConfigError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_and_an_existing_one_keeps_its_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        fresh = write_atomic(tmp_path / "new" / "deep" / "page.html", "<p>ü</p>")
    finally:
        os.umask(old)
    assert fresh.read_text(encoding="utf-8") == "<p>ü</p>"
    # The umask is read once per process; whatever it was, the file is not the temporary
    # file's private 0600 unless the umask asked for that.
    assert mode(fresh) == 0o666 & ~_process_umask()
    private = tmp_path / "private.csv"
    private.write_text("a")
    private.chmod(0o600)
    write_atomic(private, b"b")
    assert private.read_bytes() == b"b" and mode(private) == 0o600


def _process_umask() -> int:
    from nntune._files import _umask

    return _umask()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with replaced_atomically(target) as handle:
            handle.write(b"half")
            raise RuntimeError("the writer failed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


def test_an_os_error_names_the_field_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ConfigError, match=r"^--output: cannot write .*a_file/out.csv: "):
        write_atomic(tmp_path / "a_file" / "out.csv", "x", field="--output")
    with pytest.raises(OSError):  # without a field it stays the OS's error, for Python callers
        write_atomic(tmp_path / "a_file" / "out.csv", "x")


def test_paths_that_cannot_be_written_are_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    with pytest.raises(ConfigError, match="^--report: .*a_folder is a folder; give a file name$"):
        check_writable_file(tmp_path / "a_folder", "--report")
    with pytest.raises(ConfigError, match="^--report: cannot write .*: .*a_file is a file, not a folder$"):
        check_writable_file(tmp_path / "a_file" / "deeper" / "r.html", "--report")
    with pytest.raises(ConfigError, match="^--out: .*a_file is a file, not a folder$"):
        check_writable_dir(tmp_path / "a_file", "--out")
    assert check_writable_file(tmp_path / "not" / "yet" / "r.html", "--report") == tmp_path / "not" / "yet" / "r.html"
    assert check_writable_dir(tmp_path / "new", "--out") == tmp_path / "new"
    assert not (tmp_path / "not").exists() and not (tmp_path / "new").exists()  # checking creates nothing


def _refusals_without_permission(locked: str, closed: str) -> list[str]:
    """In a child process that is not root (root may write anywhere), what a file in a
    folder it may not write, and in one it may not enter, is refused with."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)  # nobody
    said = []
    for folder in (locked, closed):
        try:
            check_writable_file(Path(folder) / "sub" / "r.html", "--report")
            said.append("accepted")
        except ConfigError as err:
            said.append(str(err))
    return said


def test_folders_without_permission_are_refused() -> None:
    import multiprocessing as mp
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp())  # not under pytest's own 0700 folder, which nobody may enter
    try:
        root.chmod(0o755)
        (root / "locked").mkdir(mode=0o555)  # enter and read, never write
        (root / "closed").mkdir(mode=0o700)  # root's alone
        with mp.get_context("fork").Pool(1) as pool:
            locked, closed = pool.apply(_refusals_without_permission, (str(root / "locked"), str(root / "closed")))
    finally:
        shutil.rmtree(root)
    assert locked.startswith("--report: cannot write") and "no permission to write in" in locked
    assert closed.startswith("--report: cannot write") and "no permission to" in closed
