"""What an artifact is kept with: a study or a live trial (a stored one too, for reading).
Anything else is refused in one line naming ``study_or_trial``, before a byte is stored."""

from __future__ import annotations

import pytest

from nntune.artifacts import FileSystemArtifactStore, get_all_artifact_meta, upload_artifact
from nntune.trial import FixedTrial


@pytest.mark.parametrize("owner", ["my-study", FixedTrial({"x": 1.0})])
def test_an_owner_that_is_no_study_or_trial_is_refused(tmp_path, owner):
    store = FileSystemArtifactStore(tmp_path / "store")
    (tmp_path / "ckpt.pt").write_bytes(b"weights")
    with pytest.raises(TypeError, match=r"^study_or_trial: expected a Study or a live Trial, got "):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "ckpt.pt"), study_or_trial=owner)
    assert list((tmp_path / "store").iterdir()) == []
    with pytest.raises(TypeError, match=r"^study_or_trial: expected a Study, a live Trial or a FrozenTrial, got "):
        get_all_artifact_meta(owner)
