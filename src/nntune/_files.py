"""Files a user asked for (reports, exports, lab pages, checkpoints): checked before the work
that fills them, written whole or not at all, with the permissions any other file of the
user's would get."""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, overload

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


# Linux, macOS and Windows file systems take at most 255 bytes in a name, 4096 in a path.
NAME_MAX, PATH_MAX = 255, 4096


def is_stream(path: Path) -> bool:
    """Whether ``path`` names something to write into rather than a file to replace: a
    device, a pipe or a socket, or anything under /dev or /proc (``/dev/stdout`` is a link
    to whatever the output is, a file included; replacing the link would leave that output
    empty and put a file where the link was)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # not there yet (or not reachable): a file to create
        return False
    if stat.S_ISDIR(mode):
        return False
    return not stat.S_ISREG(mode) or path.absolute().parts[1:2] in (("dev",), ("proc",))


def same_as_stdout(path: Path) -> bool:
    """Whether ``path`` is this process's standard output (``/dev/stdout``, ``/dev/fd/1``)."""
    try:
        here, there = os.fstat(sys.stdout.fileno()), os.stat(path)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured, closed)
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _check_lengths(path: Path, field: str) -> None:
    # Said here in one line: the OS says only "File name too long", and from os.stat itself.
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            shown = part if len(part) <= 40 else f"{part[:30]}...{part[-8:]}"
            raise ConfigError(field, f"file name too long ({size} bytes, at most {NAME_MAX}): {shown}")
    size = len(os.fsencode(str(path.absolute())))
    if size >= PATH_MAX:
        raise ConfigError(field, f"path too long ({size} bytes, at most {PATH_MAX - 1})")


# What ends a folder's name as typed: "/" everywhere, and "\\" too on Windows.
_SEPARATORS = tuple(dict.fromkeys((os.sep, os.altsep or os.sep, "/")))


@overload
def given_path(value: str | Path, field: str, instead: str, *, file: bool = False) -> Path: ...


@overload
def given_path(value: str | Path | None, field: str, instead: str, *, file: bool = False) -> Path | None: ...


def given_path(value: str | Path | None, field: str, instead: str, *, file: bool = False) -> Path | None:
    """A path the user gave, as a Path; None when not given. An empty one (an unset shell
    variable) is refused, saying what to give ``instead``: as a Path it would be ".", the
    current folder, and an error would speak of a folder never named. With ``file``, the
    path of a file to write, a name ending in a separator (``-o out/``) is refused too: as a
    Path it loses the separator, and the file would be written as ``out``."""
    if value is None:
        return None
    if isinstance(value, str) and not value:
        raise ConfigError(field, f"must not be empty; {instead}")
    if file and isinstance(value, str) and value.endswith(_SEPARATORS):
        raise ConfigError(field, f"{value} names a folder (it ends with {value[-1]}); {instead}")
    return Path(value)


def check_writable_file(path: str | Path, field: str) -> Path:
    """Refuse, before any work, a file path that cannot be written: a name too long, an
    existing folder, a parent that is a file, or a folder without write permission or that
    refuses a new file. A device or a pipe (``/dev/stdout``) only needs to be writable
    itself: it is written into, never replaced. Nothing is left behind (the test file made
    is removed again)."""
    target = Path(path)
    _check_lengths(target, field)
    if is_stream(target):
        # Standard output is written through the open handle, which needs no permission
        # on the file (a pipe or a file another user opened for this process).
        if not same_as_stdout(target) and not os.access(target, os.W_OK):
            raise ConfigError(field, f"cannot write {target}: no permission")
        return target
    try:
        if target.is_dir():
            raise ConfigError(field, f"{target} is a folder; give a file name")
    except PermissionError:
        pass  # said by the folder's check below
    _check_folder(target.parent, field, target)
    return target


def check_writable_dir(path: str | Path, field: str) -> Path:
    """Refuse, before any work, a folder that cannot be made or written. Nothing is left behind."""
    folder = Path(path)
    _check_lengths(folder, field)
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
    makes = base != folder.absolute()  # the folders up to ``folder`` are made first
    problem = creation_problem(base, folder=makes)
    if problem:
        doing = "create" if asked == folder and makes else "write"
        raise ConfigError(field, f"cannot {doing} {asked}: {base} takes no new {'folder' if makes else 'file'} "
                                 f"({problem})")


def creation_problem(where: Path, *, folder: bool = False) -> str | None:
    """Why nothing can be made in the folder ``where`` (the OS's words), or None: told by
    making a uniquely named file (``folder``: a folder, as a path whose own folder is still
    to be made needs) and removing it again. ``os.access`` reads only permission bits, which
    root always passes, while a pseudo file system (/proc), a full one, a root-squashed
    network share or a security policy still refuses; the work would fail only at its end."""
    try:
        if folder:
            os.rmdir(tempfile.mkdtemp(dir=where, prefix=".nntune-check-"))
        else:
            fd, made = tempfile.mkstemp(dir=where, prefix=".nntune-check-")
            os.close(fd)
            os.unlink(made)
    except OSError as err:
        return err.strerror or str(err)
    return None


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
        # The temporary name is longer than the target's: cut, so that any name that
        # fits the file system also fits beside it.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:100]}.", suffix=".tmp")
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


SAFE_NAME_BYTES = 200  # names that fit keep their file names; room is left under NAME_MAX for ".html", "-trial12.pt"


def safe_name(study: str) -> str:
    """A study name as a file name: anything but letters, digits, ``-_.`` becomes ``_``.
    A name over :data:`SAFE_NAME_BYTES` keeps its start and ends with 12 hex digits of the
    whole name's SHA-256, so that it fits every file system and two long names that start
    alike still get two files."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in study)
    raw = name.encode("utf-8")
    if len(raw) <= SAFE_NAME_BYTES:
        return name
    digest = hashlib.sha256(study.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    head = raw[:SAFE_NAME_BYTES - len(digest) - 1].decode("utf-8", "ignore")  # never half a character
    return f"{head}-{digest}"


# The study attribute holding the random key in its kept model files' names
# (nntune.kept_model.study_key): the study's own, never carried to a copy of it.
MODEL_FILES_KEY = "model_files_key"


def folder_name(study: str) -> str:
    """A study's folder (of checkpoints, of kept models) under ``search.checkpoint_dir``: the
    name itself, so folders made before keep theirs, unless it is over
    :data:`SAFE_NAME_BYTES` bytes, which no file system takes as one name: then
    :func:`safe_name`'s shortened form."""
    if len(study.encode("utf-8", "surrogatepass")) <= SAFE_NAME_BYTES:
        return study
    return safe_name(study)


def default_report_path(study: str) -> Path:
    """Where a study's report goes unless told: ``reports/STUDY.html``."""
    return Path("reports") / f"{safe_name(study)}.html"


def default_model_path(study: str) -> Path:
    """Where a study's best model goes unless told: ``models/STUDY.pt``."""
    return Path("models") / f"{safe_name(study)}.pt"
