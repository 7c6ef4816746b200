"""An artifact copy that breaks off (a dropped connection, a full disk) or a study that
is gone leaves no half file behind: not where the download was going, not in the store."""

from __future__ import annotations

import io

import pytest

import nntune
from nntune.artifacts import FileSystemArtifactStore, download_artifact, upload_artifact


class _DroppedConnection(io.RawIOBase):
    """A body that gives a few bytes and then fails, as a remote store's stream may."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        self.reads += 1
        if self.reads > 2:
            raise ConnectionResetError("connection reset by peer")
        buffer[:4] = b"abcd"
        return 4


class _DroppingStore:
    """A store (Optuna's ArtifactStore protocol) whose reads break off."""

    def open_reader(self, artifact_id: str) -> io.RawIOBase:
        return _DroppedConnection()

    def write(self, artifact_id: str, content_body) -> None:  # type: ignore[no-untyped-def]
        raise AssertionError("not written")

    def remove(self, artifact_id: str) -> None:
        raise AssertionError("not removed")


def test_a_download_that_breaks_off_leaves_no_file(tmp_path):
    with pytest.raises(ConnectionResetError):
        download_artifact(artifact_store=_DroppingStore(), file_path=str(tmp_path / "model.pt"), artifact_id="a")
    assert list(tmp_path.iterdir()) == []


def test_a_store_write_that_breaks_off_leaves_no_partial_file(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")
    with pytest.raises(ConnectionResetError):
        store.write("a", _DroppedConnection())  # type: ignore[arg-type]
    assert list((tmp_path / "store").iterdir()) == []


def test_an_upload_to_a_deleted_study_leaves_nothing_in_the_store(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    nntune.delete_study(study_name=study.study_name, storage=study.storage)
    (tmp_path / "ckpt.pt").write_bytes(b"weights")
    with pytest.raises(KeyError):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "ckpt.pt"), study_or_trial=study)
    assert list((tmp_path / "store").iterdir()) == []


def test_a_download_into_a_missing_folder_names_the_file_asked_for(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")
    (tmp_path / "ckpt.pt").write_bytes(b"weights")
    artifact_id = upload_artifact(artifact_store=store, file_path=str(tmp_path / "ckpt.pt"),
                                  study_or_trial=nntune.create_study())
    target = tmp_path / "missing" / "model.pt"
    with pytest.raises(FileNotFoundError) as err:
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=artifact_id)
    assert err.value.filename == str(target) and ".partial" not in str(err.value)
