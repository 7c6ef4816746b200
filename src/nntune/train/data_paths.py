"""A data set's own files (``task.data.path``) checked before they are read: given, there,
and a folder or a regular file as the kind reads it; anything else is named for what it is."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nntune.exceptions import ConfigError

ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip", ".gz")  # given where a folder is read: not unpacked

# What a path is, in a user's words, for those that are neither a file nor a folder.
_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def data_path(spec: Mapping[str, Any], want_dir: bool) -> Path:
    """``task.data.path`` of a data set read from the user's own files, checked before it is
    read: given and not empty (an empty one would be ".", a folder never named), there, and a
    folder where one is read (``want_dir``), else a regular file: a pipe or a device
    (``/dev/null``) would hang the read or give no rows, and is named for what it is."""
    kind = spec.get("kind")
    if "path" not in spec:
        raise ConfigError("task.data.path", f"a '{kind}' data set needs a path")
    raw = spec["path"]
    if raw is None or not str(raw).strip():
        raise ConfigError("task.data.path", f"must not be empty; give the {'folder' if want_dir else 'file'} "
                                            f"the '{kind}' data set is read from")
    path = Path(str(raw)).expanduser()
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError("task.data.path", f"{'directory' if want_dir else 'file'} not found: {path}") from None
    except OSError as err:  # no permission to reach it, a loop of links, ...
        raise ConfigError("task.data.path", f"cannot read {path}: {err.strerror or err}") from None
    if stat.S_ISDIR(mode) if want_dir else stat.S_ISREG(mode):
        return path
    if want_dir:
        archive = "; unpack it and give the folder" if path.name.endswith(ARCHIVES) and stat.S_ISREG(mode) else ""
        raise ConfigError("task.data.path", f"kind {kind} reads a folder; {path} is {_kind(mode)}{archive}")
    plain = "" if stat.S_ISDIR(mode) else ", not a regular file"
    raise ConfigError("task.data.path", f"kind {kind} reads a file; {path} is {_kind(mode)}{plain}")
