"""``nntune.tune(data=(DataFrame, Series))``: the columns' names reach the model file."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_wine

import nntune


def test_a_dataframes_column_names_become_the_models_feature_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wine = load_wine(as_frame=True)
    summary = nntune.tune({"study": "wine-frame", "storage": f"sqlite:///{tmp_path / 'w.db'}"},
                          set={"search.trials": 1, "fixed.epochs": 2}, data=(wine.data, wine.target), report=False)
    model = nntune.load_model(summary.model_path)
    assert model.meta["feature_names"] == list(wine.data.columns)
    rows = wine.data.head(5)
    by_name = model.predict(rows[list(reversed(rows.columns))])  # columns are read by name, not position
    assert list(by_name) == list(model.predict(rows.to_numpy(dtype=np.float32)))


def test_given_feature_names_win_over_the_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wine = load_wine(as_frame=True)
    names = [f"f{i}" for i in range(wine.data.shape[1])]
    from nntune.tuning import npz_bytes
    import io
    blob = np.load(io.BytesIO(npz_bytes({"x": wine.data, "y": wine.target, "feature_names": names})))
    assert list(blob["feature_names"]) == names
    assert pytest.approx(blob["x"][0, 0]) == wine.data.iloc[0, 0]
