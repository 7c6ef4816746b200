"""Files kept per trial: the bytes in the artifact store, what they were in the study's storage."""

from __future__ import annotations

import pytest

import nntune
from nntune.artifacts import (
    ArtifactNotFound,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)


def test_a_checkpoint_per_trial_round_trips(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")
    study = nntune.create_study(storage=f"sqlite:///{tmp_path}/s.db")

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        path = tmp_path / f"ckpt-{trial.number}.json"
        path.write_text(f'{{"x": {x}}}')
        trial.set_user_attr("ckpt", upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial))
        return x

    study.optimize(objective, n_trials=3)
    best = study.best_trial
    out = tmp_path / "restored.json"
    download_artifact(artifact_store=store, file_path=str(out), artifact_id=best.user_attrs["ckpt"])
    assert out.read_text() == f'{{"x": {best.params["x"]}}}'
    [meta] = get_all_artifact_meta(best)
    assert (meta.artifact_id, meta.filename, meta.mimetype) == (best.user_attrs["ckpt"],
                                                                f"ckpt-{best.number}.json", "application/json")
    with pytest.raises(FileExistsError):
        download_artifact(artifact_store=store, file_path=str(out), artifact_id=meta.artifact_id)


def test_study_artifacts_and_missing_ones(tmp_path):
    store = FileSystemArtifactStore(tmp_path / "store")
    study = nntune.create_study()
    note = tmp_path / "notes.txt"
    note.write_text("hello")
    artifact_id = upload_artifact(artifact_store=store, file_path=str(note), study_or_trial=study)
    assert [m.filename for m in get_all_artifact_meta(study)] == ["notes.txt"]
    store.remove(artifact_id)
    with pytest.raises(ArtifactNotFound):
        store.open_reader(artifact_id)
    with pytest.raises(ValueError, match="not an artifact id"):
        store.open_reader("../escape")
    with pytest.raises(ValueError, match="live trial or the study"):
        upload_artifact(artifact_store=store, file_path=str(note), study_or_trial=nntune.create_trial(value=1.0))
