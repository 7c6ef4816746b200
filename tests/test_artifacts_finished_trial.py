"""An artifact uploaded to a live trial that has ended is refused, as Optuna's
UpdateFinishedTrialError, and nothing is stored."""

from __future__ import annotations

import pytest

import nntune
from nntune.artifacts import FileSystemArtifactStore, get_all_artifact_meta, upload_artifact
from nntune.exceptions import UpdateFinishedTrialError


def test_an_upload_to_an_ended_trial_is_refused_and_stores_nothing(tmp_path):
    store = FileSystemArtifactStore(str(tmp_path / "store"))
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    trial = study.ask()
    file = tmp_path / "a.txt"
    file.write_text("x")
    upload_artifact(artifact_store=store, file_path=str(file), study_or_trial=trial)
    study.tell(trial, 1.0)
    with pytest.raises(UpdateFinishedTrialError, match="trial 0 has already finished"):
        upload_artifact(artifact_store=store, file_path=str(file), study_or_trial=trial)
    assert len(get_all_artifact_meta(study.trials[0], storage=study.storage)) == 1
    assert len(list((tmp_path / "store").iterdir())) == 1
