"""``upload_artifact`` as Optuna 3 called it, positionally: taken with a FutureWarning, as
Optuna still takes it; keywords remain the way, and a missing or doubled one is a TypeError."""

from __future__ import annotations

import pytest

import nntune
from nntune.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact


def test_optuna_3s_positional_order_still_uploads(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")
    study = nntune.create_study()
    note = tmp_path / "weights.bin"
    note.write_bytes(b"\x00\x01")
    trial = study.ask()
    with pytest.warns(FutureWarning, match="pass them by keyword"):
        artifact_id = upload_artifact(trial, str(note), store)
    study.tell(trial, 1.0)
    [meta] = get_all_artifact_meta(study.trials[0])
    assert (meta.artifact_id, meta.filename) == (artifact_id, "weights.bin")
    download_artifact(artifact_store=store, file_path=str(tmp_path / "back.bin"), artifact_id=artifact_id)
    assert (tmp_path / "back.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(TypeError, match="multiple values for argument 'study_or_trial'"):
        upload_artifact(study, str(note), store, study_or_trial=study)
    with pytest.raises(TypeError, match="needs artifact_store"):
        upload_artifact(file_path=str(note), study_or_trial=study)
