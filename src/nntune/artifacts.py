"""Files kept with a trial or study (checkpoints, plots), with Optuna's names:
``FileSystemArtifactStore(base_path)``, ``upload_artifact``, ``download_artifact``,
``get_all_artifact_meta``.

The store holds the bytes under an artifact id; the study's storage holds what the file
was (its name, type and encoding) as an attribute of the trial or study, so any process
sharing the study finds a trial's checkpoint through the trial.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from nntune.trial import FrozenTrial

_PREFIX = "artifacts:"


class ArtifactNotFound(FileNotFoundError):
    """No artifact with that id in the store."""


class ArtifactStore(Protocol):
    def open_reader(self, artifact_id: str) -> BinaryIO: ...
    def write(self, artifact_id: str, content_body: BinaryIO) -> None: ...
    def remove(self, artifact_id: str) -> None: ...


class FileSystemArtifactStore:
    """Artifacts as files in one directory (a shared file system serves several machines)."""

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        self.base_path = Path(base_path)
        self.base_path.mkdir(parents=True, exist_ok=True)

    def _path(self, artifact_id: str) -> Path:
        if not artifact_id or "/" in artifact_id or "\\" in artifact_id or artifact_id in (".", ".."):
            raise ValueError(f"not an artifact id: {artifact_id!r}")
        return self.base_path / artifact_id

    def open_reader(self, artifact_id: str) -> BinaryIO:
        try:
            return open(self._path(artifact_id), "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self.base_path}") from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        target = self._path(artifact_id)
        partial = target.with_name(target.name + ".partial")
        _write_whole(content_body, partial, target)

    def remove(self, artifact_id: str) -> None:
        try:
            self._path(artifact_id).unlink()
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self.base_path}") from None


def _write_whole(content_body: BinaryIO, partial: Path, target: Path) -> None:
    """Copy ``content_body`` to ``target`` through ``partial``: a reader never sees half a
    file, and a copy that breaks off (a full disk, a dropped connection) leaves nothing."""
    try:
        out = open(partial, "wb")
    except OSError as err:  # a missing or read-only folder: said of the file asked for
        raise type(err)(err.errno, err.strerror, str(target)) from None
    try:
        with out:
            shutil.copyfileobj(content_body, out)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@dataclass
class ArtifactMeta:
    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def _owner(study_or_trial: Any, storage: Any) -> tuple[Any, int, int | None]:
    """(storage, study id, trial number or None) of a study or a live trial."""
    from nntune._study import Study
    from nntune._trial import Trial

    if isinstance(study_or_trial, FrozenTrial):
        raise ValueError("give the live trial or the study: a stored trial does not say which study it is in")
    if isinstance(study_or_trial, Trial):
        study = study_or_trial.study
        state = study.storage.get_trial(study.id, study_or_trial.number, with_metrics=False).state
        if state.is_finished():  # as Optuna's UpdateFinishedTrialError: its record is closed
            from nntune.exceptions import TrialStateError

            raise TrialStateError(f"trial {study_or_trial.number} has already finished ({state.value}); upload "
                                  "its artifacts before it ends, or to the study")
        return study.storage, study.id, study_or_trial.number
    if isinstance(study_or_trial, Study):
        return study_or_trial.storage, study_or_trial.id, None
    raise _not_owner(study_or_trial, "a Study or a live Trial")


def _not_owner(given: Any, expected: str) -> TypeError:
    # A FixedTrial (or a name) belongs to no stored study: nothing could keep or find its files.
    return TypeError(f"study_or_trial: expected {expected}, got {type(given).__name__} {given!r}"[:300])


_OLD_ORDER = ("study_or_trial", "file_path", "artifact_store")  # Optuna 3's positional arguments


def upload_artifact(*args: Any, artifact_store: ArtifactStore | None = None, file_path: str | None = None,
                    study_or_trial: Any = None, storage: Any = None, mimetype: str | None = None,
                    encoding: str | None = None) -> str:
    """Put the file into the store and note it on the trial (or study); its artifact id.
    Optuna 3's positional order, ``upload_artifact(trial, file_path, artifact_store)``, is
    still taken with Optuna's FutureWarning, as Optuna takes it until its 6.0."""
    given = {"artifact_store": artifact_store, "file_path": file_path, "study_or_trial": study_or_trial}
    if args:
        if len(args) > len(_OLD_ORDER):
            raise TypeError(f"upload_artifact takes at most {len(_OLD_ORDER)} positional arguments "
                            f"({', '.join(_OLD_ORDER)}), got {len(args)}")
        twice = [name for name in _OLD_ORDER[:len(args)] if given[name] is not None]
        if twice:
            raise TypeError(f"upload_artifact got multiple values for argument {twice[0]!r}")
        warnings.warn(f"positional arguments {list(_OLD_ORDER[:len(args)])} to upload_artifact are deprecated "
                      "(as in Optuna 4.0); pass them by keyword", FutureWarning, stacklevel=2)
        given.update(zip(_OLD_ORDER, args))
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise TypeError(f"upload_artifact needs {', '.join(missing)} (keyword arguments)")
    return _upload(given["artifact_store"], str(given["file_path"]), given["study_or_trial"], storage,
                   mimetype, encoding)


def _upload(artifact_store: ArtifactStore, file_path: str, study_or_trial: Any, storage: Any,
            mimetype: str | None, encoding: str | None) -> str:
    store, study_id, number = _owner(study_or_trial, storage)
    guessed, guessed_encoding = mimetypes.guess_type(file_path)
    meta = ArtifactMeta(artifact_id=str(uuid.uuid4()), filename=os.path.basename(file_path),
                        mimetype=mimetype or guessed or "application/octet-stream",
                        encoding=encoding or guessed_encoding)
    with open(file_path, "rb") as f:
        artifact_store.write(meta.artifact_id, f)
    key, value = _PREFIX + meta.artifact_id, json.dumps(asdict(meta))
    try:
        if number is None:
            store.set_study_attr(study_id, key, value)
        else:
            store.set_trial_system_attr(study_id, number, key, value)
    except BaseException:
        # Nothing would ever name the stored file (a deleted study, a trial taken over);
        # the error raised is the one that says why, not the clean-up's.
        with suppress(Exception):
            artifact_store.remove(meta.artifact_id)
        raise
    return meta.artifact_id


def download_artifact(*, artifact_store: ArtifactStore, file_path: str, artifact_id: str) -> None:
    """Write the artifact to ``file_path`` (which must not exist yet)."""
    if os.path.exists(file_path):
        raise FileExistsError(f"{file_path} already exists")
    target = Path(file_path)
    with _reader(artifact_store, artifact_id) as src:
        _write_whole(src, target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial"), target)


@contextmanager
def _reader(artifact_store: ArtifactStore, artifact_id: str) -> Iterator[BinaryIO]:
    f = artifact_store.open_reader(artifact_id)
    try:
        yield f
    finally:
        f.close()


def get_all_artifact_meta(study_or_trial: Any, *, storage: Any = None) -> list[ArtifactMeta]:
    """What was uploaded for a trial (a live one, or a stored one: ``FrozenTrial``) or a study."""
    from nntune._study import Study
    from nntune._trial import Trial

    if isinstance(study_or_trial, FrozenTrial):
        attrs: dict[str, Any] = study_or_trial.system_attrs
    elif isinstance(study_or_trial, Trial):
        study = study_or_trial.study
        attrs = study.storage.get_trial(study.id, study_or_trial.number, with_metrics=False).system_attrs
    elif isinstance(study_or_trial, Study):
        attrs = study_or_trial.system_attrs
    else:
        raise _not_owner(study_or_trial, "a Study, a live Trial or a FrozenTrial")
    return [ArtifactMeta(**json.loads(v)) for k, v in attrs.items() if k.startswith(_PREFIX)]


__all__ = ["ArtifactMeta", "ArtifactNotFound", "ArtifactStore", "FileSystemArtifactStore", "download_artifact",
           "get_all_artifact_meta", "upload_artifact"]
