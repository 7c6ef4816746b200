"""Where the report's page goes: a file, replaced whole (see
:func:`nntune._files.write_atomic`); or a device or a stream (``-o /dev/stdout``,
``-o /dev/null``, a named pipe), written into, never replaced by a file beside it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from nntune._files import write_atomic
from nntune.exceptions import ConfigError


def is_stream(path: Path) -> bool:
    """Whether ``path`` names something to write into rather than a file to replace: a
    device, a pipe or a socket, or anything under /dev or /proc (``/dev/stdout`` is a link
    to whatever the output is, a file included; replacing the link would leave that output
    empty and put a file where the link was)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # not there yet (or not reachable): a file to create
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


def write_page(path: str | Path, page: str, *, field: str | None = None) -> Path:
    """Write ``page`` to ``path`` and return the path: a stream is written into, anything
    else replaced atomically. With ``field``, an OS error is a one-line
    :class:`~nntune.exceptions.ConfigError` naming it."""
    target = Path(path)
    if not is_stream(target):
        return write_atomic(target, page, field=field)
    try:
        if same_as_stdout(target):  # through sys.stdout, so that what is printed after follows the page
            sys.stdout.write(page)
            sys.stdout.flush()
        else:
            with open(target, "w", encoding="utf-8") as out:
                out.write(page)
    except OSError as err:
        if field is None:
            raise
        raise ConfigError(field, f"cannot write {target}: {err.strerror or err}") from err
    return target
