"""Files a user asked for (reports, exports, lab pages, checkpoints): checked before the work
that fills them, written whole or not at all, with the permissions any other file of the
user's would get."""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from nntune.exceptions import ConfigError


@functools.cache
def _umask() -> int:
    # The process's umask can only be read by setting it; /proc gives it without that
    # (Linux 4.7 on), and the set-and-restore fallback runs once, at the first write.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets 0666 less the umask, as
    ``open(path, "w")`` would give it (a temporary file is made private, 0600)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _first_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_writable_file(path: str | Path, field: str) -> Path:
    """Refuse, before any work, a file path that cannot be written: an existing folder, a
    parent that is a file, or a folder without write permission. Nothing is created."""
    target = Path(path)
    try:
        if target.is_dir():
            raise ConfigError(field, f"{target} is a folder; give a file name")
    except PermissionError:
        pass  # said by the folder's check below
    _check_folder(target.parent, field, target)
    return target


def check_writable_dir(path: str | Path, field: str) -> Path:
    """Refuse, before any work, a folder that cannot be made or written. Nothing is created."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(field, f"{folder} is a file, not a folder")
    _check_folder(folder, field, folder)
    return folder


def _check_folder(folder: Path, field: str, asked: Path) -> None:
    try:
        base = _first_existing(folder)
        is_dir = base.is_dir()
    except PermissionError as err:  # a folder on the way that this user may not enter
        raise ConfigError(field, f"cannot write {asked}: no permission to reach {err.filename or folder}") from None
    if not is_dir:
        raise ConfigError(field, f"cannot write {asked}: {base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ConfigError(field, f"cannot write {asked}: no permission to write in {base}")


@contextmanager
def replaced_atomically(path: str | Path, *, field: str | None = None) -> Iterator[IO[bytes]]:
    """A binary handle on a temporary file beside ``path`` that replaces ``path`` when the
    block ends without an error: a reader never sees half a file, and a failed write leaves
    the old file as it was. With ``field``, an OS error (no space, no permission, a folder
    in the way) becomes a one-line :class:`ConfigError` naming it."""
    target = Path(path)
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        if field is None:
            raise
        raise ConfigError(field, f"cannot write {target}: {err.strerror or err}") from err
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """``target`` holds what ``source`` holds now: a hard link where the file system has them
    (one copy on disk for both names), else a copy. ``source`` must only ever be replaced
    whole (:func:`replaced_atomically`), never written in place: the replacement is a new
    file, and ``target`` keeps the content it was linked to."""
    target = Path(target)
    target.unlink(missing_ok=True)  # a snapshot left by an earlier run of the same trial
    try:
        os.link(source, target)
    except OSError:  # no hard links here (some network and FAT file systems)
        shutil.copyfile(source, target)


def write_atomic(path: str | Path, data: bytes | str, *, field: str | None = None) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole or not at all (see
    :func:`replaced_atomically`) and return the path."""
    with replaced_atomically(path, field=field) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def safe_name(study: str) -> str:
    """A study name as a file name: anything but letters, digits, ``-_.`` becomes ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in study)


def default_report_path(study: str) -> Path:
    """Where a study's report goes unless told: ``reports/STUDY.html``."""
    return Path("reports") / f"{safe_name(study)}.html"


def default_model_path(study: str) -> Path:
    """Where a study's best model goes unless told: ``models/STUDY.pt``."""
    return Path("models") / f"{safe_name(study)}.pt"
