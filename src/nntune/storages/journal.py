"""``storages.journal``, by Optuna's names: ``JournalStorage`` and the file behind it
(``JournalStorage(JournalFileBackend(path))``), as ``optuna.storages.journal`` has them."""

from __future__ import annotations

import os
from typing import Any

from nntune.exceptions import ConfigError
from nntune.storage.journal import JournalStorage as _Journal


class BaseJournalBackend:
    """Optuna's base of journal backends. nntune's journal is a file only: a backend of
    another kind given to :class:`JournalStorage` is refused in one line."""


class JournalFileBackend(BaseJournalBackend):
    """A journal file at ``file_path``. Changes are serialized with ``flock`` on the file
    itself, so any ``lock_obj`` (Optuna's open or symlink lock) is accepted and not needed;
    the file system must support ``flock`` (local disks do, and NFS from v4)."""

    def __init__(self, file_path: str | os.PathLike[str], lock_obj: Any = None) -> None:
        if not isinstance(file_path, (str, os.PathLike)) or not str(file_path):
            raise ConfigError("file_path", f"give the journal file's path, got {file_path!r}")
        self.file_path = os.fspath(file_path)
        self.lock_obj = lock_obj


class JournalFileOpenLock:
    """Optuna's lock for file systems without ``flock``; nntune locks with ``flock``."""

    def __init__(self, filepath: str, grace_period: int | None = 30) -> None:
        self.filepath = filepath


JournalFileSymlinkLock = JournalFileOpenLock


class JournalRedisBackend(BaseJournalBackend):
    """Optuna's Redis journal, which nntune has no storage for: building one says so in one
    line (as the CLI's ``--storage-class JournalRedisBackend`` does) instead of the name
    being missing."""

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = "") -> None:
        raise ConfigError("log_storage", "JournalRedisBackend needs a Redis server, which nntune does not "
                                         "support; use JournalFileBackend(path) or RDBStorage(url)")


class JournalStorage(_Journal):
    """The journal storage (:mod:`nntune.storage.journal`) with Optuna's argument: a
    :class:`JournalFileBackend` (or a file path)."""

    def __init__(self, log_storage: Any) -> None:
        path = getattr(log_storage, "file_path", log_storage)
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError("log_storage", f"give storages.journal.JournalFileBackend(path), got "
                                             f"{type(log_storage).__name__}")
        super().__init__(path)


# Optuna 3's names
JournalFileStorage = JournalFileBackend
JournalRedisStorage = JournalRedisBackend
BaseJournalLogStorage = BaseJournalBackend

__all__ = ["BaseJournalBackend", "BaseJournalLogStorage", "JournalFileBackend", "JournalFileOpenLock",
           "JournalFileStorage", "JournalFileSymlinkLock", "JournalRedisBackend", "JournalRedisStorage",
           "JournalStorage"]
