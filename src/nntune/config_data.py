"""Whether the data a config reads now is the data its study was tuned on.

A config names its data by a path relative to where ``nntune`` runs (README). Run from
another folder, or after the file was edited, the same config reads other rows: a resumed
search would rank trials trained on two data sets together, and ``nntune test`` or
``export-model`` would retrain the best trial on data the study never saw and count the
look. The study keeps a digest of the rows it was tuned on; the rows read now must match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError

ATTR = "data_digest"


def data_digest(splits: Any) -> str:
    """A digest of the training and validation rows (features and targets) and of where
    the test rows were cut (``split_fingerprint``): other data, or the same file with rows
    added, removed or changed there, gives another digest. The test rows themselves stay
    sealed: nothing is read from them but their count."""
    digest = hashlib.sha256()
    for part in (splits.x_train, splits.y_train, splits.x_val, splits.y_val):
        array = np.ascontiguousarray(part.detach().cpu().numpy() if hasattr(part, "detach") else np.asarray(part))
        digest.update(f"{array.dtype}{array.shape}|".encode())
        digest.update(array.tobytes())
    info = splits.info if isinstance(getattr(splits, "info", None), Mapping) else {}
    digest.update(f"|{len(splits.test)}|{info.get('split_fingerprint', '')}".encode())
    return digest.hexdigest()[:16]


def _refusal(study: str) -> ConfigError:
    return ConfigError("task.data", f"the data read here is not the data study {study!r} was tuned on (a relative "
                                    "path read from another folder, or a file changed since); run where it was "
                                    "tuned, or give the path it was tuned with")


def check_same_data(attrs: Mapping[str, Any], study: str, splits: Any) -> None:
    """Refuse (one line naming task.data) rows other than those the study kept a digest
    of; a study stored without one (an older version's) passes."""
    kept = attrs.get(ATTR)
    if isinstance(kept, str) and kept != data_digest(splits):
        raise _refusal(study)


def remember_data(storage: Any, study_id: int, study: str, splits: Any) -> None:
    """Keep the digest of ``splits`` with the study, or refuse rows other than those of the
    digest it keeps: atomically, so two processes starting one study agree."""
    digest = data_digest(splits)
    kept = storage.merge_study_attr(study_id, ATTR, lambda current: current if isinstance(current, str) else digest)
    if kept != digest:
        raise _refusal(study)
