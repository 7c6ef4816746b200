"""``nntune.load_model``'s module takes a read-only array (pandas' ``to_numpy()``) quietly."""

from __future__ import annotations

import warnings

import numpy as np

import nntune
from nntune.model_file import save_model_file
from nntune.train import fit, load_splits


def test_a_read_only_array_predicts_without_torchs_warning(tmp_path) -> None:
    splits = load_splits("iris", seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    model = fit(params, splits, seed=0).model
    loaded = nntune.load_model(save_model_file(tmp_path / "m.pt", model, params, splits, study="iris", trial=0,
                                               data="iris"))
    rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
    frozen = rows.copy()
    frozen.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded.predict(frozen) == loaded.predict(rows)
    assert not frozen.flags.writeable
