"""A storage in one append-only file, as Optuna's ``JournalStorage``: for several processes
on one machine or on a shared file system, with no database server.

Every change is one JSON line: the storage method, its arguments and the time it happened.
A process replays the lines it has not read yet into its own :class:`InMemoryStorage`
before each read, so every process sees the same history; a change is made under an
exclusive ``flock`` on the file, after replaying, so changes apply in the file's order
everywhere. The replay runs each change at its own recorded time (the memory storage's
injected clock), so start times, heartbeats and stale-trial recovery agree between
processes. A change whose outcome is not a function of the history (``merge_study_attr``'s
callable) is written as its result.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import inspect
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

from nntune._json import depth_checked
from nntune.exceptions import ConfigError, TrialStateError
from nntune.space import Distribution, dist_from_json
from nntune.storage._base import OptunaStorageReads, StorageFull, utcnow
from nntune.storage.memory import InMemoryStorage

# The storage's changes; everything else it offers is a read.
WRITES = frozenset({
    "create_study", "delete_study", "set_study_attr", "create_trial", "claim_trial", "claim_waiting_trial",
    "recover_trial", "recover_stale_trials", "set_trial_params", "report", "set_trial_user_attr",
    "set_trial_user_attrs", "set_trial_system_attr", "heartbeat", "finish_trial", "add_param_changes",
    "take_param_changes", "record_test_evaluation",
})
READS = frozenset({
    "load_study", "list_studies", "study_summaries", "get_trial", "get_trials", "get_trials_since",
    "get_param_changes", "get_test_evaluations",
})


# A write that failed for want of room: no space left, a quota, a file size limit.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


# A tagged value is a dict of one of these keys; a caller's own dict of that shape (a user
# attribute ``{"__time__": "..."}``) is wrapped in ``__map__`` so it comes back as a dict.
TAGS = frozenset({"__dist__", "__enum__", "__time__", "__map__"})


def _encode(value: Any) -> Any:
    """Arguments as JSON: distributions, states and times tagged so they come back as themselves."""
    if isinstance(value, Distribution):
        return {"__dist__": value.to_json()}
    if isinstance(value, Enum):
        return {"__enum__": value.value}
    if isinstance(value, datetime):
        return {"__time__": value.isoformat()}
    if isinstance(value, Mapping):
        encoded = {_key(k): _encode(v) for k, v in value.items()}
        return {"__map__": encoded} if len(encoded) == 1 and encoded.keys() <= TAGS else encoded
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_encode(v) for v in value]
    if callable(getattr(value, "tolist", None)) and not isinstance(value, (str, bytes)):
        return value.tolist()  # numpy and torch values, arrays too, as the other storages keep them
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # other scalars of array libraries
    return value


def _key(key: Any) -> str:
    """A mapping's key as JSON writes it, so the journal keeps what every other storage (and
    Optuna's) keeps: ``True`` as ``"true"``, ``None`` as ``"null"``, NaN as ``"NaN"``; a key
    JSON refuses (a tuple) is a TypeError here too, not a text the others never store."""
    if isinstance(key, str):
        return key
    return next(iter(json.loads(json.dumps({key: None}))))


def _decode(value: Any) -> Any:
    from nntune.trial import TrialState

    if isinstance(value, dict):
        if "__dist__" in value and len(value) == 1:
            return dist_from_json(value["__dist__"])
        if "__enum__" in value and len(value) == 1:
            return TrialState(value["__enum__"])
        if "__time__" in value and len(value) == 1:
            return datetime.fromisoformat(value["__time__"])
        if "__map__" in value and len(value) == 1 and isinstance(value["__map__"], dict):
            return {k: _decode(v) for k, v in value["__map__"].items()}
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


@functools.lru_cache(maxsize=None)
def _signature(method: str) -> inspect.Signature:
    """A write's signature, looked up once: a replay checks every line against it."""
    return inspect.signature(getattr(InMemoryStorage, method))


def _record(line: bytes) -> dict[str, Any] | None:
    """The change a journal line holds, or None when the line is not one this module wrote:
    any JSON is not enough, since replaying a foreign shape would fail deep inside the
    memory storage with a bare KeyError or TypeError instead of naming the file."""
    try:
        change = json.loads(line)
    except ValueError:
        return None
    if not (isinstance(change, dict) and change.keys() == {"m", "t", "a", "k"} and change["m"] in WRITES
            and isinstance(change["t"], str) and isinstance(change["a"], list) and isinstance(change["k"], dict)):
        return None
    try:
        datetime.fromisoformat(change["t"])
        # Arguments that do not fit the method are as foreign as a missing key.
        _signature(change["m"]).bind(None, *change["a"], **change["k"])
    except (TypeError, ValueError):
        return None
    return change


def _optuna_record(line: bytes) -> bool:
    """Whether a line is one of Optuna's ``JournalStorage`` (an ``op_code`` and a ``worker_id``)."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and {"op_code", "worker_id"} <= record.keys()


GONE = "the journal file is gone (deleted or moved while this process used it)"
# How every line this module writes starts (the JSON of {"m": ...} without spaces), and how
# an SQLite database file starts.
LINE_START = b'{"m":"'
SQLITE_HEADER = b"SQLite format 3\x00"


def _torn(tail: bytes) -> bool:
    """Whether the bytes after the last whole line can be what a writer killed mid-line left
    (the next change cuts them off). Anything else is not a journal's: cutting it off would
    destroy another program's file (a text without its last newline, a database)."""
    return tail.isascii() and tail[:len(LINE_START)] == LINE_START[:len(tail)]


class JournalStorage(OptunaStorageReads):
    """Studies kept in the journal file at ``path`` (created when missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()
        if self.path.is_dir():
            raise ConfigError("storage", f"{self.path} is a folder; a journal is a file")
        try:
            if not self.path.exists():  # one that exists is only read here: it may be read-only
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.touch(exist_ok=True)
        except OSError as err:
            from nntune.storage import file_on_the_way

            # mkdir says only "File exists" (or "Not a directory") for a file on the way
            blocker = file_on_the_way(self.path.parent)
            why = f"{blocker} is a file, not a folder" if blocker is not None else err.strerror or err
            raise ConfigError("storage", f"cannot open the journal {self.path}: {why}") from None
        self.url = f"journal://{self.path}"  # the path is absolute: journal:///...
        self._at: datetime | None = None  # the time of the change being applied
        self._mem = InMemoryStorage(clock=lambda: self._at or utcnow())
        self._read = 0  # bytes of the file replayed so far
        self._file: tuple[int, int] | None = None  # the device and inode replayed
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}  # a worker process replays the file itself

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    # the file ---------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[BinaryIO]:
        # Appends land at the end, wherever the handle was read. A file replayed already is
        # not created again when it is gone: that history is lost, not empty.
        flags = os.O_RDWR | os.O_APPEND | (0 if self._read else os.O_CREAT)
        try:
            # Unbuffered: a write the disk refuses fails there and then. A buffer kept the
            # refused bytes and wrote them again as the handle closed, raising a bare OSError
            # in place of the one line below (or landing a change this process had dropped).
            handle = os.fdopen(os.open(self.path, flags, 0o666), "a+b", buffering=0)
        except FileNotFoundError:
            raise ConfigError("storage", f"{self.path}: {GONE}") from None
        except OSError as err:  # before any change is applied: nothing to undo
            raise ConfigError("storage", f"cannot write the journal {self.path}: {err.strerror or err}") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _replay(self, handle: BinaryIO | None = None) -> None:
        """Apply the lines written since the last replay; a line still being written (no
        newline yet) waits for the next one."""
        if handle is None:
            try:
                handle = open(self.path, "rb")
            except FileNotFoundError:
                raise ConfigError("storage", f"{self.path}: {GONE}") from None
            with handle:
                # Shared: a writer cutting a torn tail off under this read would splice the
                # tail's first bytes to its own line's last ones in what is read.
                fcntl.flock(handle, fcntl.LOCK_SH)
                return self._replay(handle)
        self._same_file(os.fstat(handle.fileno()))
        handle.seek(self._read)
        data = handle.read()
        if self._read == 0 and data.startswith(SQLITE_HEADER):
            raise ConfigError("storage", f"{self.path} is an SQLite database, not a journal; open it as "
                                         f"sqlite:///{self.path}")
        end = data.rfind(b"\n") + 1
        offset = self._read
        for line in data[:end].splitlines(keepends=True):
            if line.strip():
                change = _record(line)
                if change is None and _optuna_record(line):
                    raise ConfigError("storage", f"{self.path} is Optuna's journal, not an nntune journal (nntune "
                                                 "reads only the lines it writes)")
                if change is None:
                    raise ConfigError("storage", f"{self.path}: the line at byte {offset} is not a journal "
                                                 "entry (the file was changed by something else)")
                try:
                    self._apply(change)
                except (LookupError, ValueError, TypeError, TrialStateError) as err:
                    # Every change was applied before it was written, so one the history
                    # refuses now was written by something else.
                    why = err.args[0] if err.args else err  # a KeyError's text without its quotes
                    raise ConfigError("storage", f"{self.path}: the line at byte {offset} does not follow from "
                                                 f"the lines before it ({why}; the file was changed by something "
                                                 "else)") from None
            offset += len(line)
            self._read = offset
        if not _torn(data[end:]):
            raise ConfigError("storage", f"{self.path}: the bytes at byte {offset} are not a journal entry (is it a "
                                         "journal file?); nothing was written to it")

    def _same_file(self, stat: os.stat_result) -> None:
        """Refuse a journal that is no longer the file replayed so far: deleted and created
        again, or cut short. Its history is not this process's, and a change written at this
        process's offset would land after a gap of zero bytes that no one can read."""
        if self._read == 0:
            self._file = (stat.st_dev, stat.st_ino)
        elif (stat.st_dev, stat.st_ino) != self._file or stat.st_size < self._read:
            raise ConfigError("storage", f"{self.path}: the journal was replaced or cut short while this process "
                                         "used it; open it again")

    def _forget(self) -> None:
        """Drop the replayed history: the next read replays the file from its start."""
        self._mem = InMemoryStorage(clock=lambda: self._at or utcnow())
        self._read = 0

    def _apply(self, change: Mapping[str, Any]) -> Any:
        self._at = datetime.fromisoformat(change["t"])
        try:
            return getattr(self._mem, change["m"])(*_decode(change["a"]), **_decode(change["k"]))
        finally:
            self._at = None

    def _change(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock, self._exclusive() as handle:
            self._replay(handle)
            return self._append(handle, method, args, kwargs)

    def _append(self, handle: BinaryIO, method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        """Apply a change to the replayed history and write it (the file lock held)."""
        change: dict[str, Any] = {"m": method, "t": utcnow().isoformat()}

        def text() -> str:  # _encode recurses too: a value nested too deep is refused here, unwritten
            change.update(a=_encode(args), k=_encode(kwargs))
            return json.dumps(change, separators=(",", ":"))
        # Each argument is measured as the memory storage measures it, not inside (args, kwargs).
        line = (depth_checked(text, *args, *kwargs.values()) + "\n").encode()
        result = self._apply(change)  # a change the history refuses raises here, and is not written
        try:
            # Past the last whole line there can only be what a writer killed mid-line left
            # (we hold the lock): it never became a change, so it goes.
            handle.truncate(self._read)
            written = 0
            while written < len(line):  # a raw write may take only part of it
                written += handle.write(line[written:])
            os.fsync(handle.fileno())
        except OSError as err:  # a full disk: the change is in memory only, so memory goes
            with suppress(OSError):  # and the part of its line that was written
                handle.truncate(self._read)
            self._forget()
            refuse = StorageFull if err.errno in FULL_ERRNOS else ConfigError
            raise refuse("storage", f"cannot write the journal {self.path}: {err.strerror or err}") from None
        self._read += len(line)
        return result

    # the storage ------------------------------------------------------------------------
    def merge_study_attr(self, study_id: int, key: str, merge: Callable[[Any], Any]) -> Any:
        """``merge`` runs once, here, under the file lock; the journal keeps its result."""
        with self._lock, self._exclusive() as handle:
            self._replay(handle)
            value = self._mem.merge_study_attr(study_id, key, merge)  # a KeyError for no such study
            self._append(handle, "set_study_attr", (study_id, key, value), {})
            return value

    def __getattr__(self, name: str) -> Any:
        if name in WRITES:
            return lambda *args, **kwargs: self._change(name, *args, **kwargs)
        if name in READS:
            def read(*args: Any, **kwargs: Any) -> Any:
                with self._lock:
                    self._replay()
                    return getattr(self._mem, name)(*args, **kwargs)
            return read
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
